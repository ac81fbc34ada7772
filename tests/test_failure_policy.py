"""The failure policy on the local run: a quarter of 20 small real firms, some made to fail.

Each kept firm has a few real MAEC sentences (one topic, one naming request); a failing firm
keeps only its sentences under five words, which map-worker refuses ("no sentence of 5+
words") before any model runs. The same outcomes on the state machine's side are in
`terraform/tests/test_state_machine.py`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ftm_ops.ingest import ingest
from ftm_ops.local.cloud import LocalCloud
from ftm_ops.quarter.local import StagesRun, run_stages
from ftm_shared import layout, pipeline
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

FIRMS = 20
SENTENCES = 6


def small_quarter(data_dir: Path, folder: Path, failing: int) -> tuple[Path, list[str]]:
    """20 firms of a few long sentences; the first `failing` of them with only short ones."""
    rows = pd.read_parquet(data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet")
    words = rows["text"].str.split().str.len()
    long, short = rows[words >= 8], rows[words < 5]
    firms = sorted(set(long.groupby("firm_id").size().loc[lambda n: n >= SENTENCES].index))
    firms = [f for f in firms if f in set(short["firm_id"])][:FIRMS]
    parts = [
        (short if i < failing else long)[lambda r, f=firm: r["firm_id"] == f].head(SENTENCES)
        for i, firm in enumerate(firms)
    ]
    path = folder / "small_quarter.parquet"
    pd.concat(parts).to_parquet(path, index=False)
    return path, firms[:failing]


def run_quarter(store: ObjectStore, source: Path) -> StagesRun:
    ingest(source, "2017Q1", store)
    values = {"quarter": "2017Q1", "bucket": store.url.removeprefix("s3://"), "batch_id": "p"}
    return run_stages(values)


def test_one_failed_firm_of_twenty_is_listed_and_reduce_runs(
    pipeline_env: LocalCloud, store: ObjectStore, data_dir: Path, tmp_path: Path
) -> None:
    source, failing = small_quarter(data_dir, tmp_path, failing=1)
    done = run_quarter(store, source)

    assert done.ran["map"].exit_code == pipeline.EXIT_OK, done.ran["map"].output
    manifest = store.read_json(layout.failures_key("2017Q1", "p"))
    assert [f["firm_id"] for f in manifest["failures"]] == failing
    assert "1 of 20 firm(s) failed" in done.ran["map"].output
    assert done.ran["reduce"].exit_code == pipeline.EXIT_OK, done.ran["reduce"].output
    assert done.passed and not done.notes
    topics = store.read_parquet_prefix(layout.firm_topics_prefix("2017Q1")).to_pandas()
    assert set(topics["firm_id"]) == set(small_firms(source)) - set(failing)
    assert store.exists(layout.themes_key("2017Q1"))


def test_five_failed_firms_of_twenty_stop_the_quarter_naming_the_manifest(
    pipeline_env: LocalCloud, store: ObjectStore, data_dir: Path, tmp_path: Path
) -> None:
    source, failing = small_quarter(data_dir, tmp_path, failing=5)
    done = run_quarter(store, source)

    assert done.ran["map"].exit_code == pipeline.EXIT_POLICY_FAILED
    manifest_uri = store.uri(layout.failures_key("2017Q1", "p"))
    assert f"the quarter stops here; failures manifest: {manifest_uri}" in done.ran["map"].output
    manifest = store.read_json(layout.failures_key("2017Q1", "p"))
    assert sorted(f["firm_id"] for f in manifest["failures"]) == sorted(failing)
    assert "reduce" not in done.ran and not done.passed
    assert done.notes == ["reduce skipped: map-worker exited 3"]


def small_firms(source: Path) -> list[str]:
    return sorted(set(pd.read_parquet(source, columns=["firm_id"])["firm_id"]))
