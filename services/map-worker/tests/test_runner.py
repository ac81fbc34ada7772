"""`map-worker run` end to end (real MAEC data, the moto server, the real local LLM server),
and the runner's pieces."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from ftm_ops.ingest import ingest
from ftm_ops.local.cloud import LocalCloud
from ftm_shared import layout, schemas
from ftm_shared.storage import ObjectStore
from map_worker.runner import BusyClock

# Three small real firms keep the LLM time low; one of them (AAOI) is too small to cluster.
FIRMS = "AAOI,AAP,ABC"


@pytest.fixture
def maec(data_dir: Path) -> Path:
    return data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet"


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


def firm_topics(store: ObjectStore, batch_id: str = "") -> pd.DataFrame:
    prefix = layout.firm_topics_prefix("2017Q1") + batch_id
    return store.read_parquet_prefix(prefix, schemas.FIRM_TOPICS).to_pandas()


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
    pipeline_env: LocalCloud, store: ObjectStore, maec: Path, tmp_path: Path
) -> None:
    ingest(maec, "2017Q1", store)
    summary_file = tmp_path / "summary.json"
    code, output = run_map(
        "--firm-ids", FIRMS, "--batch-id", "contract", "--summary-json", str(summary_file)
    )
    assert code == 0, output
    table = store.read_parquet_prefix(layout.firm_topics_prefix("2017Q1"))
    assert table.schema.equals(schemas.FIRM_TOPICS, check_metadata=False)
    rows = table.to_pandas()
    assert set(rows.firm_id) == set(FIRMS.split(","))
    assert not rows.duplicated(["firm_id", "topic_id"]).any()
    assert (rows.naming_method == "llm").all() and (rows.llm_model == "gemma3-270m").all()
    assert (rows.summary.str.strip() != rows.representation).all()
    # Natural language: words separated by spaces, not an underscore-joined keyword string.
    assert rows.summary.str.split().str.len().ge(4).all()
    assert not rows.summary.str.contains("_").any()
    assert rows.centroid.map(len).eq(384).all()
    assert (rows[rows.firm_id == "AAOI"].shape[0]) == 1
    failures = store.read_json(layout.failures_key("2017Q1", "contract"))
    assert failures["failures"] == []
    assert "firms        3 done now" in output
    summary = json.loads(summary_file.read_text())
    assert summary["topics"] == len(rows) and summary["documents"] >= len(rows)
    assert {"startup", "embed", "topics", "naming"} <= set(summary["stage_seconds"])
    assert summary["llm"]["requests"] >= len(rows)


@pytest.mark.integration
def test_sigkill_after_a_checkpoint_resumes_with_only_the_rest(
    pipeline_env: LocalCloud, store: ObjectStore, maec: Path
) -> None:
    ingest(maec, "2017Q1", store)
    checkpoint = layout.checkpoint_key("2017Q1", "resume")
    process = start_map("--firm-ids", FIRMS, "--batch-id", "resume", CHECKPOINT_INTERVAL="1")
    deadline = time.monotonic() + 600
    while not store.exists(checkpoint):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "no checkpoint within 10 minutes"
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    done_before = set(store.read_json(checkpoint)["firms_done"])
    assert 1 <= len(done_before) < 3

    code, output = run_map("--firm-ids", FIRMS, "--batch-id", "resume", CHECKPOINT_INTERVAL="1")
    assert code == 0, output
    assert f"{len(done_before)} resumed" in output
    resumed = firm_topics(store, "resume_")
    assert set(resumed.firm_id) == set(FIRMS.split(","))
    assert not resumed.duplicated(["firm_id", "topic_id"]).any()

    # The resumed output equals an uninterrupted run's firm/topic set (topics are seeded).
    code, output = run_map("--firm-ids", FIRMS, "--batch-id", "straight")
    assert code == 0, output
    assert firm_topic_set(resumed) == firm_topic_set(firm_topics(store, "straight_"))


def _write(
    store: ObjectStore, name: str, frame: pd.DataFrame, schema: pa.Schema | None = None
) -> None:
    store.write_parquet(
        layout.raw_transcripts_key("2017Q1", name),
        pa.Table.from_pandas(frame, schema=schema, preserve_index=False),
    )


@pytest.mark.integration
def test_workers_that_do_not_start_in_time_are_one_clear_error(
    pipeline_env: LocalCloud, store: ObjectStore, maec: Path
) -> None:
    ingest(maec, "2017Q1", store, firms=1)

    code, output = run_map("--batch-id", "slow", RAY_STARTUP_TIMEOUT_S="0.01")

    assert code == 2, output
    assert "Ray topic workers did not start within 0s" in output
    assert "raylet.err" in output
    assert "Traceback" not in output


@pytest.mark.integration
def test_bad_input_gives_clear_failures_and_other_firms_run(
    pipeline_env: LocalCloud, store: ObjectStore, maec: Path
) -> None:
    ingest(maec, "2017Q1", store, firms=2)  # the first two firms by id: A and AAOI (tiny)
    good = store.read_parquet(layout.raw_transcripts_key("2017Q1", maec.stem)).to_pandas()
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

    code, output = run_map("--batch-id", "bad")
    assert code == 3, output
    failures = store.read_json(layout.failures_key("2017Q1", "bad"))["failures"]
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
    assert all(f["stage"] in {"read", "validate"} for f in failures)
    rows = firm_topics(store)
    assert set(good.firm_id) | {"ONE", "HUGE"} == set(rows.firm_id)
    assert len(rows[rows.firm_id == "ONE"]) == 1
