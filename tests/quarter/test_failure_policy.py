"""The failure policy on the local run: a quarter of 20 small real firms, some made to fail.

Each kept firm has a few real MAEC sentences (one topic, one naming request); a failing firm
keeps only its sentences under five words, which map-worker refuses ("no sentence of 5+
words") before any model runs. Its shard still finishes; collect judges the quarter. The same
outcomes on the state machine's side are in `terraform/tests/test_state_machine.py`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.testing import small_quarter
from ftm_ops.ingest import ingest
from ftm_ops.quarter.local import QuarterRun, run_quarter
from ftm_shared import layout, pipeline
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

FIRMS = 20
# Two shards of 10, both at once: 2 x 4 requests fill the local LLM server's 8 slots. Only the
# planted firms may fail: a topic the small local model cannot name gets its keywords.
LOCAL_FLEET = {
    "MAP_SHARD_FIRMS": "10",
    "LLM_MAX_CONCURRENT": "4",
    "VLLM_CONCURRENCY_PER_INSTANCE": "8",
    "NAMING_KEYWORD_FALLBACK": "true",
    "LLM_REQUEST_TIMEOUT_S": "600",
}


def run(store: ObjectStore, source: Path, monkeypatch: pytest.MonkeyPatch) -> QuarterRun:
    ingest(source, "2017Q1", store)
    for name, value in LOCAL_FLEET.items():
        monkeypatch.setenv(name, value)
    return run_quarter(store, store.url.removeprefix("s3://"), "2017Q1")


def test_one_failed_firm_of_twenty_is_listed_and_reduce_runs(
    pipeline_env: LocalCloud,
    store: ObjectStore,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, failing = small_quarter(data_dir, tmp_path, FIRMS, failing=1)
    done = run(store, source, monkeypatch)

    assert done.ran["map"].exit_code == pipeline.EXIT_OK, done.ran["map"].output
    assert done.ran["collect"].exit_code == pipeline.EXIT_OK, done.ran["collect"].output
    assert done.run_id is not None
    manifest = store.read_json(layout.run_failures_key("2017Q1", done.run_id))
    assert [f["firm_id"] for f in manifest["failures"]] == failing
    assert "1 of 20 firm(s) failed" in done.ran["collect"].output
    assert done.ran["reduce"].exit_code == pipeline.EXIT_OK, done.ran["reduce"].output
    assert done.passed and not done.notes
    topics = store.read_parquet(layout.published_firm_topics_key("2017Q1")).to_pandas()
    firms = set(pd.read_parquet(source, columns=["firm_id"])["firm_id"])
    assert set(topics["firm_id"]) == firms - set(failing)
    assert store.exists(layout.themes_key("2017Q1"))


def test_five_failed_firms_of_twenty_stop_the_quarter_naming_the_manifest(
    pipeline_env: LocalCloud,
    store: ObjectStore,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, failing = small_quarter(data_dir, tmp_path, FIRMS, failing=5)
    done = run(store, source, monkeypatch)

    assert done.ran["map"].exit_code == pipeline.EXIT_OK, done.ran["map"].output
    assert done.ran["collect"].exit_code == pipeline.EXIT_POLICY_FAILED
    assert done.run_id is not None
    key = layout.run_failures_key("2017Q1", done.run_id)
    assert (
        f"the quarter stops here; failures manifest: {store.uri(key)}" in done.ran["collect"].output
    )
    manifest = store.read_json(key)
    assert sorted(f["firm_id"] for f in manifest["failures"]) == sorted(failing)
    assert "reduce" not in done.ran and not done.passed
    assert done.notes == ["reduce skipped: collect exited 3"]
    assert not store.exists(layout.themes_key("2017Q1"))
