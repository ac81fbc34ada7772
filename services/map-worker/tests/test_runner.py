"""`map-worker run` end to end (real MAEC calls, the moto server, the real local LLM server),
and the runner's pieces. Killing and resuming a run: tests/quarter/test_quarter_runs.py."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.testing import put_raw_quarter
from ftm_shared import layout, runs, schemas
from ftm_shared.lease import Lease
from ftm_shared.plan import Plan, plans_of
from ftm_shared.storage import ObjectStore
from map_worker.runner import BusyClock

# Three small real firms keep the LLM time low; one of them (AAOI) is too small to cluster.
FIRMS = "AAOI,AAP,ABC"


def start_map(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "map_worker", "run", "--quarter", "2017Q1", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a SIGKILL reaches Ray's processes too
    )


def run_map(*args: str, **env: str) -> tuple[int, str]:
    process = start_map(*args, **env)
    output, _ = process.communicate(timeout=900)
    return process.returncode, output


def latest_run(store: ObjectStore) -> Plan:
    return plans_of(store, "2017Q1")[0]


def firm_topics(store: ObjectStore, plan: Plan | None = None) -> pd.DataFrame:
    """The rows of a run (default: the newest), as reduce reads them."""
    keys = runs.run_parts(store, plan or latest_run(store))
    tables = [store.read_contract(key, schemas.FIRM_TOPICS, "firm-topics") for key in keys]
    return pa.concat_tables(tables).to_pandas()


def firm_topic_set(rows: pd.DataFrame) -> set[tuple[str, int]]:
    return {(firm, int(topic)) for firm, topic in rows[["firm_id", "topic_id"]].to_numpy()}


@pytest.mark.unit
def test_busy_clock_counts_overlapping_work_once() -> None:
    clock = BusyClock()

    async def work(delay: float, seconds: float) -> None:
        await asyncio.sleep(delay)
        with clock():
            await asyncio.sleep(seconds)

    async def run() -> None:
        await asyncio.gather(work(0.0, 0.2), work(0.1, 0.2))  # busy from 0.0 to 0.3
        await asyncio.sleep(0.2)  # idle
        await work(0.0, 0.1)

    asyncio.run(run())
    assert 0.4 <= clock.seconds < 0.5


@pytest.mark.integration
def test_output_matches_the_contract(
    pipeline_env: LocalCloud, store: ObjectStore, tmp_path: Path
) -> None:
    put_raw_quarter(store)
    summary_file = tmp_path / "summary.json"
    # The small model now and then names no topic acceptably in all its asks (a firm failure
    # without the fallback): the contract is under test here, and LLM-named rows are asserted.
    code, output = run_map(
        "--firm-ids", FIRMS, "--summary-json", str(summary_file), NAMING_KEYWORD_FALLBACK="true"
    )
    assert code == 0, output
    plan = latest_run(store)
    table = pa.concat_tables([store.read_parquet(key) for key in runs.run_parts(store, plan)])
    assert table.schema.equals(schemas.FIRM_TOPICS, check_metadata=False)
    rows = table.to_pandas()
    assert set(rows.firm_id) == set(FIRMS.split(","))
    assert not rows.duplicated(["firm_id", "topic_id"]).any()
    named = rows[rows.naming_method == "llm"]
    assert len(named) and (named.llm_model == "gemma3-270m").all()
    assert (rows.summary.str.strip() != rows.representation).all()
    assert rows.centroid.map(len).eq(384).all()
    failures = store.read_json(layout.run_failures_key("2017Q1", plan.run_id))
    assert failures["failures"] == []
    assert "3 firm(s) done now" in output
    assert "0 of 3 firm(s) failed" in output
    totals = json.loads(summary_file.read_text())["totals"]
    procedure = rows[rows.topic_id == -1]  # each firm's call procedure, not a topic
    assert totals["topics"] == len(rows) - len(procedure)
    assert totals["procedural"] == procedure.n_docs.sum()
    assert totals["documents"] >= len(rows)
    assert {"startup", "embed", "topics", "naming"} <= set(totals["stage_seconds"])
    # Each sentence the topic model saw, with its topic, beside each part.
    sentence_keys = runs.run_sentence_parts(store, plan)
    sentences = pa.concat_tables(
        [store.read_contract(k, schemas.SENTENCE_TOPICS, "sentence-topics") for k in sentence_keys]
    ).to_pandas()
    assert len(sentences) == totals["documents"]
    assert not sentences.duplicated(["call_id", "para_idx", "sentence_idx"]).any()
    counted = sentences[sentences.topic_id != -2].groupby(["firm_id", "topic_id"]).size()
    assert counted.to_dict() == rows.set_index(["firm_id", "topic_id"]).n_docs.to_dict()
    assert totals["llm"]["requests"] >= len(named)
    manifest = runs.read_manifest(store, "2017Q1", plan.run_id)
    assert manifest["state"] == runs.MAPPED
    assert manifest["map"]["counts"]["firms_done"] == 3
    assert manifest["models"]["llm"] == "gemma3-270m"
    assert manifest["environment"]["versions"]["ftm-shared"]


def _write(
    store: ObjectStore, name: str, frame: pd.DataFrame, schema: pa.Schema | None = None
) -> None:
    store.write_parquet(
        layout.raw_transcripts_key("2017Q1", name),
        pa.Table.from_pandas(frame, schema=schema, preserve_index=False),
    )


@pytest.mark.integration
def test_workers_that_do_not_start_in_time_are_one_clear_error(
    pipeline_env: LocalCloud, store: ObjectStore
) -> None:
    put_raw_quarter(store, firms=1)

    code, output = run_map(RAY_STARTUP_TIMEOUT_S="0.01")

    assert code == 2, output
    assert "Ray topic workers did not start within 0s" in output
    assert "raylet.err" in output
    assert "Traceback" not in output


@pytest.mark.integration
def test_bad_input_gives_clear_failures_and_other_firms_run(
    pipeline_env: LocalCloud, store: ObjectStore
) -> None:
    key = put_raw_quarter(store, firms=2)  # the first two firms by id: A and AAOI (tiny)
    good = store.read_parquet(key).to_pandas()
    row = good.iloc[0].to_dict()

    def firm(firm_id: str, texts: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            [{**row, "firm_id": firm_id, "para_idx": i, "text": t} for i, t in enumerate(texts)]
        )

    sentence = "Gross margin improved to 41 percent on a better product mix this quarter."
    bad = pd.concat(
        [
            firm("EMPTY", ["Thanks.", "Okay."]),
            firm("ONE", [sentence]),
            firm("HUGE", [sentence * 20_000]),
            firm("a/b", [sentence]),
            firm("..", [sentence]),
        ]
    )
    _write(store, "bad_firms", bad, schemas.RAW_TRANSCRIPTS)
    _write(store, "no_text", good.drop(columns=["text"]).head(5))
    binary = good.head(5).assign(text=[b"\xff\xfe\xfa not utf-8"] * 5)
    _write(store, "not_utf8", binary)
    store.put_bytes(layout.raw_transcripts_key("2017Q1", "corrupt"), b"PAR1 this is not parquet")

    # What is under test is the input's checks: a topic the small local model fails to name
    # (an AnswerRejectedError now and then) gets its keywords instead of failing its firm.
    code, output = run_map(NAMING_KEYWORD_FALLBACK="true")
    assert code == 3, output
    plan = latest_run(store)
    failures = store.read_json(layout.run_failures_key("2017Q1", plan.run_id))["failures"]
    where = {f["firm_id"] or f["object_key"]: f for f in failures}
    assert "no sentence of 5+ words" in where["EMPTY"]["message"]
    assert "cannot be used in an object key" in where["a/b"]["message"]
    assert "cannot be used in an object key" in where[".."]["message"]
    assert (
        "missing column(s) text"
        in where[layout.raw_transcripts_key("2017Q1", "no_text")]["message"]
    )
    assert where[layout.raw_transcripts_key("2017Q1", "corrupt")]["error_type"] == (
        "CorruptObjectError"
    )
    assert layout.raw_transcripts_key("2017Q1", "not_utf8") in where
    assert [f for f in failures if f["stage"] not in {"read", "validate"}] == []
    rows = firm_topics(store, plan)
    assert set(good.firm_id) | {"ONE", "HUGE"} == set(rows.firm_id)
    assert len(rows[rows.firm_id == "ONE"]) == 1


@pytest.mark.integration
def test_a_second_mapper_on_a_held_shard_stops_naming_the_first(
    pipeline_env: LocalCloud, store: ObjectStore
) -> None:
    put_raw_quarter(store, firms=2)
    planned = subprocess.run(
        [sys.executable, "-m", "map_worker", "plan", "--quarter", "2017Q1", "--execution", "one"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert planned.returncode == 0, planned.stderr
    plan = latest_run(store)
    key = layout.shard_lease_key("2017Q1", plan.run_id, plan.shards[0].shard)
    # The first mapper, alive: it renews its lease every 6 s.
    with Lease(store, key, "the first mapper's shard", ttl_s=30, holder="box-a pid 4242"):
        code, output = run_map("--run-id", plan.run_id, MAP_LEASE_S="30")

    assert code == 2, output
    held = f"shard {plan.shards[0].shard} of run {plan.run_id} is being worked on by box-a pid 4242"
    assert f"error: {held}" in output
    assert runs.run_parts(store, plan) == []  # nothing mapped twice
