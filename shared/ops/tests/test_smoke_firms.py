from __future__ import annotations

import pytest

from ftm_ops.smoke import smoke_firms
from ftm_shared.config import SettingsError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("value", "firms"), [("", 25), ("4", 4), (" All ", None)])
def test_smoke_firms_is_a_count_or_all(
    value: str, firms: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMOKE_FIRMS", value)
    assert smoke_firms() == firms


@pytest.mark.parametrize("value", ["0", "some"])
def test_a_bad_smoke_firms_is_named(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMOKE_FIRMS", value)
    with pytest.raises(SettingsError, match="SMOKE_FIRMS: "):
        smoke_firms()
