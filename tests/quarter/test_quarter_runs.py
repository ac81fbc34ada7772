"""A quarter's runs on the moto server and the local LLM: killed and resumed, run twice, run
anew, with an abandoned run's leftovers about. Small real firms (one topic each) keep the LLM
time short; the shards and their counters are what is under test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.published import topic_keys
from ftm_local.testing import run_module, small_quarter
from ftm_ops.ingest import ingest
from ftm_ops.quarter.local import QuarterRun, run_quarter
from ftm_shared import layout, runs, schemas
from ftm_shared.plan import Plan, plans_of
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

QUARTER = "2017Q1"
# One shard at a time (4 fleet slots / 4 requests per shard), one topic worker, a checkpoint
# per firm: a kill lands between two firms of the second shard.
ONE_SHARD_AT_A_TIME = {
    "MAP_LEASE_S": "30",  # the killed mapper's lease: waited out before the resume
    "MAP_SHARD_FIRMS": "3",
    "CHECKPOINT_INTERVAL": "1",
    "RAY_WORKERS": "1",
    "LLM_MAX_CONCURRENT": "4",
    "VLLM_CONCURRENCY_PER_INSTANCE": "4",
}
# Two shards of two firms, both in flight: 2 x 4 requests for the local server's 8 slots.
TWO_SHARDS = {
    "MAP_SHARD_FIRMS": "2",
    "LLM_MAX_CONCURRENT": "4",
    "VLLM_CONCURRENCY_PER_INSTANCE": "8",
}
# No firm fails for the small local model's naming (a topic it cannot name gets its
# keywords), and a loaded machine's slow answers are waited for.
STEADY = {"NAMING_KEYWORD_FALLBACK": "true", "LLM_REQUEST_TIMEOUT_S": "600"}


def start_map(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "map_worker", "run", "--quarter", QUARTER, *args],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a SIGKILL reaches Ray's processes too
    )


def kill_in_the_second_shard(store: ObjectStore, process: subprocess.Popen[str]) -> Plan:
    """SIGKILL the run once the first shard is complete and the second has done a firm."""
    deadline = time.monotonic() + 900
    while True:
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the second shard did not start within 15 minutes"
        plans = plans_of(store, QUARTER)
        if plans:
            first, second = (
                ShardProgress.load(store, QUARTER, plans[0].run_id, shard)
                for shard in ("00000", "00001")
            )
            if first.complete and second.firms_done and not second.complete:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                return plans[0]
        time.sleep(0.2)


@pytest.mark.timeout(1800)
def test_a_run_killed_mid_shard_resumes_without_redoing_or_repeating_anything(
    pipeline_env: LocalCloud,
    store: ObjectStore,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {**ONE_SHARD_AT_A_TIME, **STEADY}.items():
        monkeypatch.setenv(name, value)
    source, _ = small_quarter(data_dir, tmp_path, 6)
    ingest(source, QUARTER, store)

    killed = kill_in_the_second_shard(store, start_map())
    done_before = ShardProgress.load(store, QUARTER, killed.run_id, "00001").firms_done

    summary_file = tmp_path / "resumed.json"
    resumed = run_module(
        "map_worker", "run", "--quarter", QUARTER, "--summary-json", str(summary_file), timeout=900
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"run {killed.run_id} (found again: same inputs and settings)" in resumed.stdout
    shards = {s["shard"]: s for s in json.loads(summary_file.read_text())["shards"]}
    assert shards["00000"]["skipped"] and shards["00000"]["firms_done"] == 0
    assert not shards["00001"]["skipped"]
    assert shards["00001"]["firms_resumed"] == len(done_before)
    assert shards["00001"]["firms_done"] == 3 - len(done_before)
    attempts = [p.attempts for p in runs.shard_progress(store, killed)]
    assert attempts == [1, 2], "the finished shard was not redone"

    keys = topic_keys(store, killed)
    assert len(keys) == len(set(keys)), "no (firm, topic) twice"
    straight = run_module("map_worker", "run", "--quarter", QUARTER, "--new-run", timeout=900)
    assert straight.returncode == 0, straight.stdout + straight.stderr
    uninterrupted = plans_of(store, QUARTER)[0]
    assert uninterrupted.run_id != killed.run_id
    assert sorted(keys) == sorted(topic_keys(store, uninterrupted))


def contents(store: ObjectStore, prefix: str) -> dict[str, bytes]:
    return {key: store.get_bytes(key) for key in store.list_keys(prefix)}


def contributions(store: ObjectStore) -> set[tuple[str, str, int]]:
    table = store.read_parquet(layout.theme_contributions_key(QUARTER))
    return set(
        zip(
            table["theme_id"].to_pylist(),
            table["firm_id"].to_pylist(),
            table["topic_id"].to_pylist(),
            strict=True,
        )
    )


def quarter(store: ObjectStore, *, new_run: bool = False) -> QuarterRun:
    done = run_quarter(store, store.url.removeprefix("s3://"), QUARTER, new_run=new_run)
    assert done.passed, "\n".join(run.output for run in done.ran.values())
    return done


# Three runs of the quarter and an abandoned one: minutes each where other jobs share the CPUs.
@pytest.mark.timeout(2700)
def test_twice_is_a_no_op_a_new_run_recomputes_and_leftovers_change_nothing(
    pipeline_env: LocalCloud,
    store: ObjectStore,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {**TWO_SHARDS, **STEADY}.items():
        monkeypatch.setenv(name, value)
    source, _ = small_quarter(data_dir, tmp_path, 4)
    ingest(source, QUARTER, store)
    firms = set(pd.read_parquet(source, columns=["firm_id"])["firm_id"])

    first = quarter(store)
    outputs = (layout.firm_topics_prefix(QUARTER), layout.themes_prefix(QUARTER))
    published = {p: contents(store, p) for p in outputs}
    run_objects = contents(store, layout.run_prefix(QUARTER, str(first.run_id)) + "firm-topics/")
    themes = store.get_bytes(layout.run_themes_key(QUARTER, str(first.run_id)))

    again = quarter(store)
    assert again.run_id == first.run_id
    assert again.ran["map"].output.count("complete before: skipped") == 2
    assert "Ray startup 0.0s" in again.ran["map"].output, "nothing to do: Ray never started"
    assert "(reduced before: nothing recomputed)" in again.ran["reduce"].output
    assert {p: contents(store, p) for p in outputs} == published
    assert contents(store, layout.run_prefix(QUARTER, str(first.run_id)) + "firm-topics/") == (
        run_objects
    )
    assert store.get_bytes(layout.run_themes_key(QUARTER, str(first.run_id))) == themes
    first_contributions = contributions(store)

    # Leftovers: a run planned anew and abandoned after one shard, a part its progress never
    # listed (a killed job's), and an object of the old layout at the contract path.
    abandoned = run_module("map_worker", "plan", "--quarter", QUARTER, "--new-run")
    assert abandoned.returncode == 0, abandoned.stderr
    left = plans_of(store, QUARTER)[0]
    one_shard = run_module(
        *("map_worker", "run", "--quarter", QUARTER, "--run-id", left.run_id),
        *("--shard", "00000"),
        timeout=900,
    )
    assert one_shard.returncode == 0, one_shard.stdout + one_shard.stderr
    store.write_parquet(
        layout.shard_part_key(QUARTER, left.run_id, "00001", 0),
        store.read_parquet(runs.run_parts(store, left)[0]),
    )
    stale = layout.firm_topics_prefix(QUARTER) + "batch_part-00000.parquet"
    store.write_parquet(stale, schemas.FIRM_TOPICS.empty_table())

    anew = quarter(store, new_run=True)
    assert anew.run_id not in {first.run_id, left.run_id}
    assert "skipped" not in anew.ran["map"].output, "a new run recomputes"
    assert "reduced before" not in anew.ran["reduce"].output
    assert runs.current_run(store, QUARTER) == anew.run_id
    themes_meta = store.read_parquet(layout.themes_key(QUARTER)).schema.metadata
    assert themes_meta[b"ftm.run_id"] == str(anew.run_id).encode()
    anew_plan = Plan.load(store, QUARTER, str(anew.run_id))
    report = store.read_json(layout.run_reduce_report_key(QUARTER, anew_plan.run_id))
    keys = topic_keys(store, anew_plan)
    assert len(keys) == len(set(keys)) and {firm for firm, _ in keys} == set(firms)
    # Exactly this run's topics (a firm's call procedure, topic -1, is set aside by reduce).
    assert report["topics"] == sum(topic >= 0 for _, topic in keys)
    assert contributions(store) == first_contributions, "leftovers changed the result"
    assert store.parquet_keys(layout.firm_topics_prefix(QUARTER)) == [
        layout.published_firm_topics_key(QUARTER)
    ]
    states = {s.plan.run_id: s.state for s in runs.runs_of(store, QUARTER)}
    assert states == {
        anew.run_id: runs.REDUCED,
        left.run_id: "mapping (1/2 shards done)",
        first.run_id: runs.REDUCED,
    }
    listed = run_module("ftm_ops", "runs", "--quarter", QUARTER)
    assert listed.returncode == 0, listed.stderr
    assert f"* {anew.run_id}" in listed.stdout and f"  {first.run_id}" in listed.stdout
