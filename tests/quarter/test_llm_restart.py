"""The LLM server goes away mid-run and comes back on another port: the firms that failed for
want of it are infrastructure failures, and a plain re-run of the same run (not --new-run)
maps them, and only them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.llm_server import env_for, start_llm
from ftm_local.process import stop_process
from ftm_local.published import topic_keys
from ftm_shared import layout
from ftm_shared.plan import plans_of
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

QUARTER = "2017Q1"
SETTINGS = {
    "MAP_SHARD_FIRMS": "2",
    "CHECKPOINT_INTERVAL": "1",
    "RAY_WORKERS": "1",
    "LLM_MAX_CONCURRENT": "2",
    "LLM_HEALTH_POLL_S": "1",
    "LLM_RECOVERY_TIMEOUT_S": "10",
    "NAMING_KEYWORD_FALLBACK": "true",
}


def map_run() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "map_worker", "run", "--quarter", QUARTER],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.timeout(1800)
def test_firms_that_lacked_the_llm_are_mapped_by_a_plain_rerun(
    local_cloud: LocalCloud,
    store: ObjectStore,
    ingested_quarter: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingested_quarter(SETTINGS, 4, sentences=12)
    server = start_llm(tmp_path / "llm-1")
    for name, value in env_for(server.url).items():
        monkeypatch.setenv(name, value)

    first = map_run()
    deadline = time.monotonic() + 900
    while not any(
        ShardProgress.load(store, QUARTER, plan.run_id, shard.shard).firms_done
        for plan in plans_of(store, QUARTER)
        for shard in plan.shards
    ):
        assert first.poll() is None, first.communicate()[0]
        assert time.monotonic() < deadline, "no firm was mapped within 15 minutes"
        time.sleep(0.2)
    stop_process(server.pid)  # `ftm llm down` mid-run
    first_output = first.communicate(timeout=900)[0]
    (plan,) = plans_of(store, QUARTER)
    failures = store.read_json(layout.run_failures_key(QUARTER, plan.run_id))["failures"]
    lacked = {f["firm_id"] for f in failures if f["kind"] == "infrastructure"}
    assert lacked, "no firm was left for want of the LLM:\n" + first_output

    again = start_llm(tmp_path / "llm-2")  # another port: the first one's is not reused here
    try:
        for name, value in env_for(again.url).items():
            monkeypatch.setenv(name, value)
        second = map_run()
        second_output = second.communicate(timeout=900)[0]
    finally:
        stop_process(again.pid)

    assert second.returncode == 0, second_output
    assert plans_of(store, QUARTER)[0].run_id == plan.run_id, "a plain re-run: the same run"
    assert "trying again" in second_output or "firm(s) done now" in second_output
    keys = topic_keys(store, plan)
    assert len(keys) == len(set(keys)), "a firm was mapped twice"
    assert {firm for firm, _ in keys} >= lacked
    after = store.read_json(layout.run_failures_key(QUARTER, plan.run_id))["failures"]
    assert [f for f in after if f["kind"] == "infrastructure"] == []
