from __future__ import annotations

import pytest

from ftm_shared.provenance import git_commit, installed_versions

pytestmark = pytest.mark.unit


def test_the_build_stamp_wins_over_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_COMMIT", "abc1234")
    assert git_commit() == "abc1234"
    monkeypatch.setenv("GIT_COMMIT", "")  # empty: as unset, the checkout's HEAD or None
    assert git_commit() != ""


def test_versions_leave_out_what_is_not_installed() -> None:
    versions = installed_versions(["pyarrow", "no-such-distribution-here"])
    assert list(versions) == ["pyarrow"]
