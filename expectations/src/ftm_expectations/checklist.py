"""The checklist: one line per success criterion, as `ftm validate` and the smoke runs print it.

    ✓ Summary populated: 153/153
    ✗ Summary populated: 150/153 (3 rows: firm X topic 2, ...)

`run_checklist` reads a quarter's outputs from the bucket, validates them with the Great
Expectations suites in one checkpoint (which also writes the HTML data docs) and turns the
validation results into criteria. Callers may append criteria of their own.
"""

from __future__ import annotations

from pathlib import Path

from ftm_expectations.config import gx_dir as default_gx_dir
from ftm_expectations.runner import validate_outputs
from ftm_shared.checklist import Checklist, Criterion
from ftm_shared.config import FtmSettings
from ftm_shared.layout import validate_quarter
from ftm_shared.storage import ObjectStore

__all__ = ["Checklist", "Criterion", "run_checklist"]


def run_checklist(
    settings: FtmSettings,
    quarter: str,
    *,
    gx_dir: Path | None = None,
    run_id: str | None = None,
    store: ObjectStore | None = None,
) -> Checklist:
    """Validate one run of `quarter` in the settings' bucket (`run_id`, default the current
    run), read through `store` (default: a store from the settings); write the data docs
    under `gx_dir` (default: FTM_GX_DIR, else `.ftm/gx`)."""
    validate_quarter(quarter)
    store = store or ObjectStore.from_settings(settings)
    return validate_outputs(store, quarter, gx_dir or default_gx_dir(), run_id)
