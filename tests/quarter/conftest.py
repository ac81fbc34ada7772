"""A small quarter of real firms in the moto bucket, with the settings a test runs it under."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ftm_local.testing import small_quarter
from ftm_ops.ingest import ingest
from ftm_shared.storage import ObjectStore


@pytest.fixture
def ingested_quarter(
    store: ObjectStore, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Path]:
    """`ingested_quarter(settings, firms, **small_quarter_options)`: `settings` set in the
    environment, `firms` small real firms of 2017Q1 ingested; returns their source file."""

    def make(settings: dict[str, str], firms: int, **options: int) -> Path:
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        source, _ = small_quarter(data_dir, tmp_path, firms, **options)
        ingest(source, "2017Q1", store)
        return source

    return make
