"""The `make smoke` run, on a small sample, as a newcomer would start it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ftm_local.process import ServerRecord, pid_alive
from ftm_ops.quarter.processes import stop_group, stream_lines

pytestmark = pytest.mark.integration

# Few enough firms for the default test run, enough for themes that span firms: a theme needs
# two subject words its firms share, and the first 14 firms of the sample share none; the first
# 20 give five themes (store and customers; capital and cash; tax; ...).
SAMPLE_FIRMS = "20"
# About 6 minutes here; a run this much slower is stuck, and is stopped and reported.
SMOKE_TIMEOUT_S = 900

# A test run started in the background inherits an ignored SIGINT, which exec keeps; a user's
# Ctrl-C is never ignored, so the run under test gets the default back before it starts.
WITH_DEFAULT_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, '-m', 'ftm_ops', *sys.argv[1:]])"
)


def start_smoke(state: Path, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SMOKE_FIRMS": SAMPLE_FIRMS, "FTM_DATA_DIR": str(data_dir)}
    # The demo adapter's first training takes minutes on a CPU; model-tester tests cover it.
    command = ["smoke", "--state-dir", str(state), "--no-model-tester"]
    return subprocess.Popen(
        [sys.executable, "-c", WITH_DEFAULT_SIGINT, *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def server_pids(state: Path) -> set[int]:
    records = (ServerRecord.load(state / f"{name}.json") for name in ("moto", "llm"))
    return {record.pid for record in records if record}


def follow(
    process: subprocess.Popen[bytes], state: Path, interrupt_after: str | None = None
) -> tuple[str, set[int]]:
    """The run's output and every server it recorded; SIGINT once `interrupt_after` shows."""
    output: list[str] = []
    pids: set[int] = set()

    def on_line(line: str) -> None:
        nonlocal interrupt_after
        output.append(line)
        pids.update(server_pids(state))
        if interrupt_after and interrupt_after in line:
            time.sleep(10)  # into the stage, with its processes (Ray) up
            process.send_signal(signal.SIGINT)
            interrupt_after = None

    try:
        stream_lines(process, on_line, timeout_s=SMOKE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        stop_group(process)  # SIGINT first: the run stops the servers it started
        pytest.fail(f"the smoke run was stuck after {SMOKE_TIMEOUT_S} s:\n{''.join(output)}")
    return "".join(output), pids


def test_smoke_runs_the_pipeline_and_prints_the_checklist(tmp_path: Path, data_dir: Path) -> None:
    state = tmp_path / "smoke-state"
    process = start_smoke(state, data_dir)
    text, pids = follow(process, state)

    assert process.wait(timeout=60) == 0, text
    assert f"{SAMPLE_FIRMS} firms from maec_2017h1_sentences.parquet" in text
    assert f"✓ Firms mapped: {SAMPLE_FIRMS}/{SAMPLE_FIRMS}" in text
    assert "✓ Cross-firm themes found" in text
    assert "✗" not in text.split("\nChecklist", 1)[1]
    assert "smoke PASSED" in text
    assert "peak" in text and "GiB" in text
    report = (state / "report.html").read_text()
    assert "<svg" in report and "class='heat'" in report
    assert (state / "outputs" / "themes.parquet").is_file()
    assert "data docs: " in text
    assert pids, "the smoke run never recorded its servers"
    assert not any(pid_alive(pid) for pid in pids)
    assert not list(state.glob("*.json"))


def test_ctrl_c_stops_everything_the_smoke_run_started(tmp_path: Path, data_dir: Path) -> None:
    state = tmp_path / "smoke-state"
    process = start_smoke(state, data_dir)
    text, pids = follow(process, state, interrupt_after="$ map-worker run")

    assert process.wait(timeout=120) == 130, text
    assert "stopped: " in text
    assert pids and not any(pid_alive(pid) for pid in pids)
    assert not list(state.glob("*.json"))
