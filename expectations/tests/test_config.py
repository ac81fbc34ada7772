from __future__ import annotations

from pathlib import Path

import pytest

from ftm_expectations.config import DEFAULT_GX_DIR, gx_dir

pytestmark = pytest.mark.unit


def test_the_gx_folder_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FTM_GX_DIR", raising=False)
    assert gx_dir() == DEFAULT_GX_DIR
    monkeypatch.setenv("FTM_GX_DIR", str(tmp_path / "gx"))
    assert gx_dir() == tmp_path / "gx"
