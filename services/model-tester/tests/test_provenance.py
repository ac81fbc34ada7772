from __future__ import annotations

import pytest

from model_tester.provenance import git_commit

pytestmark = pytest.mark.unit


def test_the_build_stamp_wins_over_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_COMMIT", "abc1234")
    assert git_commit() == "abc1234"
    monkeypatch.setenv("GIT_COMMIT", "")  # empty: as unset, the checkout's HEAD or "unknown"
    assert git_commit() != ""
