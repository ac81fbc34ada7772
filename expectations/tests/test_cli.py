"""`ftm validate` as a user runs it: the checklist on stdout, exit 1 when a criterion fails.

The command lives in ftm_ops (its quarter and bucket checks are tested in shared/ops/tests/
test_validate.py); these tests stay here because they need this folder's `outputs` fixture,
realistic outputs that the suites' own tests share."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ftm_ops.testing import run_module
from ftm_shared.storage import ObjectStore


def _validate(gx_dir: Path, *args: str) -> Any:
    return run_module("ftm_ops", "validate", *args, env={**os.environ, "FTM_GX_DIR": str(gx_dir)})


@pytest.mark.integration
def test_validate_passes_good_outputs_and_says_where_the_data_docs_are(
    store: ObjectStore, outputs: Any, tmp_path: Path
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
    store: ObjectStore, outputs: Any, tmp_path: Path
) -> None:
    outputs.topics.loc[0, "naming_method"] = "unchecked"
    outputs.publish(store)

    done = _validate(tmp_path / "gx", "--quarter", "2017Q1")

    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "✗ Topics named by the LLM (else by its keywords; LLM at least 30%): "
        "64/65 (1 row: firm AAOI topic 0" in done.stdout
    )
