"""`ftm validate` before any suite runs: the quarter it is given and the bucket it reads.

Its checklist on realistic outputs is tested in expectations/tests/test_cli.py, beside the
fixture that builds those outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ftm_ops.local.process import free_port
from ftm_ops.testing import run_module

pytestmark = pytest.mark.unit


def test_an_unreachable_bucket_is_one_clear_error(tmp_path: Path) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    done = run_module(
        "ftm_ops",
        "validate",
        "--quarter",
        "2017Q1",
        env={
            **os.environ,
            "FTM_STATE_DIR": str(tmp_path),
            "S3_BUCKET": "ftm-nowhere",
            "AWS_ENDPOINT_URL": nobody,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    )

    assert done.returncode == 2, done.stdout + done.stderr
    assert f"S3 at {nobody} did not answer" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_rejects_a_malformed_quarter(tmp_path: Path) -> None:
    done = run_module(
        "ftm_ops",
        "validate",
        "--quarter",
        "2017-1",
        env={**os.environ, "FTM_GX_DIR": str(tmp_path / "gx")},
    )

    assert done.returncode == 2
    assert "quarter must look like 2017Q1" in done.stderr
