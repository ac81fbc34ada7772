"""The Great Expectations suites' verdict on a quarter's outputs, for every operations command."""

from __future__ import annotations

from pathlib import Path

from ftm_shared.checklist import Checklist
from ftm_shared.config import FtmSettings
from ftm_shared.storage import ObjectStore


def expectations_checklist(
    settings: FtmSettings,
    quarter: str,
    run_id: str | None = None,
    *,
    store: ObjectStore | None = None,
    gx_dir: Path | None = None,
) -> Checklist:
    """The suites' checklist for one run of `quarter` in the settings' bucket (default: the
    current run, the last one reduced), read through `store` if given; the data docs go
    under `gx_dir` (default: FTM_GX_DIR).

    Imported on use: Great Expectations takes seconds to import, and most `ftm` commands
    never validate.
    """
    from ftm_expectations.checklist import run_checklist

    return run_checklist(settings, quarter, run_id=run_id, store=store, gx_dir=gx_dir)
