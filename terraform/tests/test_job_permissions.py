"""The Batch jobs may write, overwrite and delete only their outputs: never the transcripts
(`raw/`), the reference data or the model weights (`models/`). The rendered policy is checked
the same way after the apply on moto (test_terraform_provider.py)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import pytest

pytestmark = pytest.mark.unit

WRITES = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl")


def output_prefixes(modules: dict[str, Any]) -> tuple[str, ...]:
    return tuple(modules["iam"]["locals"]["job_output_prefixes"])


def test_every_key_the_jobs_write_is_under_an_output_prefix(
    modules: dict[str, Any], job_keys: dict[str, str]
) -> None:
    prefixes = output_prefixes(modules)
    outside = {name: key for name, key in job_keys.items() if not key.startswith(prefixes)}
    assert not outside, f"the job role may not write these (add the prefix): {outside}"


def test_no_input_is_under_an_output_prefix(
    modules: dict[str, Any], input_keys: dict[str, str]
) -> None:
    prefixes = output_prefixes(modules)
    exposed = {name: key for name, key in input_keys.items() if key.startswith(prefixes)}
    assert not exposed, f"the jobs could overwrite or delete inputs: {exposed}"
    assert {"raw/", "models/", "reference/"}.isdisjoint(prefixes)


def test_only_the_output_statement_grants_writes(modules: dict[str, Any]) -> None:
    statements = modules["iam"]["data"]["aws_iam_policy_document.batch_job"]["statement"]
    writers = [
        s for s in statements if any(fnmatchcase(w, a) for a in s["actions"] for w in WRITES)
    ]
    assert [s["sid"] for s in writers] == ["WriteOutputs"]
    assert "local.job_output_prefixes" in writers[0]["resources"]
    reads = next(s for s in statements if s["sid"] == "ReadObjects")
    assert reads["actions"] == ["s3:GetObject"]
