"""`ftm quarter run` as a careless user runs it: killed with -9 mid-map, and started twice at
once. No stage outlives the run that started it, and no firm is mapped twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.published import topic_keys
from ftm_shared.plan import plans_of
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

QUARTER = "2017Q1"
# Small real firms in two shards; a lease that a mapper killed with -9 leaves expires soon.
SETTINGS = {
    "MAP_SHARD_FIRMS": "2",
    "MAP_LEASE_S": "30",
    "NAMING_KEYWORD_FALLBACK": "true",
    "LLM_REQUEST_TIMEOUT_S": "600",
}


def start_quarter_run() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ftm_ops", "quarter", "run", "--quarter", QUARTER],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stage_of(run: subprocess.Popen[str], module: str, within_s: float) -> psutil.Process:
    """The stage process `run` started for `module`, once it has started Ray's processes."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        for child in psutil.Process(run.pid).children():
            if module in " ".join(child.cmdline()) and len(child.children(recursive=True)) > 1:
                return child
        time.sleep(0.5)
    raise AssertionError(f"no {module} stage within {within_s:.0f}s")


@pytest.mark.timeout(1800)
def test_kill_9_of_a_quarter_run_leaves_no_stage_running(
    pipeline_env: LocalCloud, store: ObjectStore, ingested_quarter: Callable[..., Path]
) -> None:
    ingested_quarter(SETTINGS, 4)
    run = start_quarter_run()
    stage = stage_of(run, "map_worker", within_s=600)
    tree = [stage, *stage.children(recursive=True)]  # the mapper and Ray's processes

    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)

    _gone, alive = psutil.wait_procs(tree, timeout=10)
    assert alive == [], [" ".join(p.cmdline()[:4]) for p in alive]


@pytest.mark.timeout(1800)
def test_two_quarter_runs_at_once_map_each_firm_once(
    pipeline_env: LocalCloud, store: ObjectStore, ingested_quarter: Callable[..., Path]
) -> None:
    ingested_quarter(SETTINGS, 4)

    first = start_quarter_run()
    time.sleep(2)
    second = start_quarter_run()
    outputs = [process.communicate(timeout=1500)[0] for process in (first, second)]

    codes = sorted(process.returncode for process in (first, second))
    assert codes[0] == 0, outputs
    (plan,) = plans_of(store, QUARTER)  # both found the same run
    if codes[1] != 0:  # it reached a shard the first held: it stopped, naming the holder
        assert codes[1] == 2, outputs
        assert any("is being worked on by" in output for output in outputs), outputs
    keys = topic_keys(store, plan)
    assert len(keys) == len(set(keys)), "a firm was mapped twice"
    assert len({firm for firm, _ in keys}) == 4
