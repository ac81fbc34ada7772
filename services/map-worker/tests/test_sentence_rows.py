"""Each sentence's topic: which topic holds it, its rows, and how they are checkpointed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from ftm_shared import schemas
from ftm_shared.config import read_settings
from ftm_shared.plan import Plan, ShardPlan
from ftm_shared.runs import ShardProgress, run_parts, run_sentence_parts
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings
from map_worker.documents import FirmDocuments, Origin
from map_worker.runner import ShardRun, sentence_rows
from map_worker.topics import Topic, sentence_topic_ids

pytestmark = pytest.mark.unit

TEXTS = [
    "Thank you for joining us today.",
    "Revenue rose twelve percent on demand.",
    "Margins expanded on a better mix.",
    "Something nobody else said at all.",
    "Revenue in Europe grew faster still.",
]


def topic(topic_id: int, members: tuple[int, ...]) -> Topic:
    return Topic(topic_id, ["k"], [TEXTS[i] for i in members], len(members), np.ones(3), members)


TOPICS = [topic(0, (1, 4)), topic(1, (2,)), topic(schemas.PROCEDURE_TOPIC_ID, (0,))]


def firm(firm_id: str = "F") -> FirmDocuments:
    origins = [Origin("c1", 0, 0), Origin("c1", 1, 0), Origin("c1", 1, 1)]
    origins += [Origin("c1", 2, 0), Origin("c1", 3, 2)]
    return FirmDocuments(firm_id, None, None, None, None, TEXTS, [None] * 5, origins)


def test_every_sentence_gets_its_topic_and_outliers_are_minus_two() -> None:
    assert sentence_topic_ids(TOPICS, len(TEXTS)) == [-1, 0, 1, schemas.OUTLIER_TOPIC_ID, 0]


def test_sentence_rows_say_where_each_sentence_came_from() -> None:
    rows = sentence_rows(firm(), "2017Q1", TOPICS)
    table = pa.Table.from_pylist(rows, schema=schemas.SENTENCE_TOPICS)
    assert table.num_rows == len(TEXTS)
    assert rows[4] == {
        "firm_id": "F",
        "call_id": "c1",
        "quarter": "2017Q1",
        "para_idx": 3,
        "sentence_idx": 2,
        "topic_id": 0,
        "text": "Revenue in Europe grew faster still.",
    }


@pytest.fixture
def shard_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ShardRun:
    for name, value in (
        ("S3_BUCKET", "bucket"),
        ("LLM_BASE_URL", "http://127.0.0.1:9/v1"),
        ("LLM_MODEL", "model"),
    ):
        monkeypatch.setenv(name, value)
    plan = Plan(
        "2017Q1",
        "20260101T000000Z-aaaa",
        "f" * 64,
        "2026-01-01T00:00:00",
        [ShardPlan("00000", ["F", "G"])],
        {},
        {"shards_in_flight": 1},
        5.0,
    )
    store = ObjectStore(str(tmp_path))
    plan.save(store)
    return ShardRun(read_settings(MapWorkerSettings), store, plan, "00000", pool=None)  # type: ignore[arg-type]


def test_a_checkpoint_writes_the_sentences_beside_the_part_and_a_resume_drops_orphans(
    shard_run: ShardRun,
) -> None:
    store, plan = shard_run.store, shard_run.plan
    shard_run.sentence_buffer = sentence_rows(firm(), plan.quarter, TOPICS)
    shard_run.buffer = []
    shard_run.buffered_firms = ["F"]
    shard_run._flush()
    [part], [sentences] = run_parts(store, plan), run_sentence_parts(store, plan)
    assert part.endswith("firm-topics/shard=00000/part-00000.parquet")
    assert sentences.endswith("sentence-topics/shard=00000/part-00000.parquet")
    written = store.read_contract(sentences, schemas.SENTENCE_TOPICS, "sentence-topics")
    assert written["topic_id"].to_pylist() == [-1, 0, 1, -2, 0]
    # A job killed between its sentence part and its progress: the next attempt removes it.
    progress = ShardProgress.load(store, plan.quarter, plan.run_id, "00000")
    orphan = progress.sentence_part_key(1)
    store.write_parquet(orphan, written)
    assert progress.remove_orphan_parts(store) == [orphan]
    assert run_sentence_parts(store, plan) == [sentences] and store.exists(sentences)
