"""`ftm validate` as a user runs it: the checklist on stdout, exit 1 when a criterion fails,
and one clear line for a bad quarter or an unreachable bucket before any suite runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ftm_local.process import free_port
from ftm_local.published import Outputs
from ftm_local.testing import run_module
from ftm_shared.storage import ObjectStore


def _validate(gx_dir: Path, *args: str) -> Any:
    return run_module("ftm_ops", "validate", *args, env={**os.environ, "FTM_GX_DIR": str(gx_dir)})


@pytest.mark.integration
def test_validate_passes_good_outputs_and_says_where_the_data_docs_are(
    store: ObjectStore, outputs: Outputs, tmp_path: Path
) -> None:
    outputs.publish(store)

    done = _validate(tmp_path / "gx", "--quarter", "2017Q1")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ Summary populated: 65/65" in done.stdout
    index = tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert f"data docs: {index}" in done.stdout
    assert index.is_file()


@pytest.mark.integration
def test_validate_exits_1_when_a_criterion_fails(
    store: ObjectStore, outputs: Outputs, tmp_path: Path
) -> None:
    outputs.topics.loc[0, "naming_method"] = "unchecked"
    outputs.publish(store)

    done = _validate(tmp_path / "gx", "--quarter", "2017Q1")

    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "✗ Topics named by the LLM (else by its keywords; LLM at least 30%): "
        "64/65 (1 row: firm AAOI topic 0" in done.stdout
    )


@pytest.mark.unit
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


@pytest.mark.unit
def test_validate_rejects_a_malformed_quarter(tmp_path: Path) -> None:
    done = _validate(tmp_path / "gx", "--quarter", "2017-1")

    assert done.returncode == 2
    assert "quarter must look like 2017Q1" in done.stderr
