from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

from ftm_shared import layout
from ftm_shared.storage import ObjectStore


def reduce_worker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reduce_worker", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.unit
def test_help_lists_the_commands() -> None:
    result = reduce_worker("--help")
    assert result.returncode == 0
    assert "check" in result.stdout and "inputs" in result.stdout


@pytest.mark.integration
def test_inputs_lists_the_quarters_firm_topic_parts(store: ObjectStore) -> None:
    for part in range(2):
        store.write_parquet(layout.firm_topics_part_key("2017Q1", "b1", part), pa.table({"x": [1]}))
    store.write_parquet(layout.firm_topics_part_key("2017Q2", "b1", 0), pa.table({"x": [1]}))
    result = reduce_worker("inputs", "--quarter", "2017Q1")
    assert result.returncode == 0, result.stderr
    assert "2 firm-topic part(s) for 2017Q1" in result.stdout
    assert "b1_part-00001.parquet" in result.stdout


@pytest.mark.integration
def test_bad_quarter_is_one_clear_error(store: ObjectStore) -> None:
    result = reduce_worker("inputs", "--quarter", "2017Q9")
    assert result.returncode == 2
    assert "quarter must look like 2017Q1" in result.stderr
