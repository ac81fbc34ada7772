"""The `make smoke` run, on a small sample, as a newcomer would start it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ftm_shared.local.process import ServerRecord, pid_alive

pytestmark = pytest.mark.integration


def test_smoke_runs_end_to_end_and_stops_what_it_started(tmp_path: Path, data_dir: Path) -> None:
    state = tmp_path / "smoke-state"
    env = {**os.environ, "SMOKE_FIRMS": "3", "FTM_DATA_DIR": str(data_dir)}
    seen_pids: list[int] = []
    process = subprocess.Popen(
        [sys.executable, "-m", "ftm_shared", "smoke", "--state-dir", str(state)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = []
    for line in process.stdout:
        output.append(line)
        record = ServerRecord.load(state / "moto.json")
        if record and record.pid not in seen_pids:
            seen_pids.append(record.pid)
    text = "".join(output)
    assert process.wait(timeout=300) == 0, text
    assert "rows from maec_2017h1_sentences.parquet (3 firms)" in text
    assert "firms 3" in text
    assert "reduce: not built yet" in text
    assert "stopped: llm, moto" in text
    assert not list(state.glob("*.json"))
    assert seen_pids, "the smoke run never recorded its moto server"
    assert not any(pid_alive(pid) for pid in seen_pids)
