"""Plans and runs on a local store: shards, fingerprints, which run is found again, and which
run reduce may read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from ftm_shared import layout, runs, schemas
from ftm_shared.errors import InputError
from ftm_shared.plan import (
    Plan,
    ShardPlan,
    executed_plan,
    fingerprint,
    matching_plan,
    read_inputs,
    record_execution,
    split,
)
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(str(tmp_path / "bucket"))


def raw(store: ObjectStore, name: str, firms: list[str]) -> None:
    """Rows of the raw-transcripts contract for `firms` (the plan reads them through it)."""
    rows = [
        {"call_id": f"c-{firm}", "firm_id": firm, "quarter": "2017Q1", "para_idx": i, "text": "x"}
        for i, firm in enumerate(firms)
    ]
    table = pa.Table.from_pylist(rows).cast(
        pa.schema([schemas.RAW_TRANSCRIPTS.field(name) for name in rows[0]])
    )
    for field in schemas.RAW_TRANSCRIPTS:
        if field.name not in table.column_names:
            table = table.append_column(field, pa.nulls(table.num_rows, field.type))
    store.write_parquet(layout.raw_transcripts_key("2017Q1", name), table)


def plan(run_id: str, created: str, fp: str = "f" * 64, shards: int = 2) -> Plan:
    return Plan(
        quarter="2017Q1",
        run_id=run_id,
        fingerprint=fp,
        created_at=created,
        shards=[ShardPlan(f"{n:05d}", [f"F{n}"]) for n in range(shards)],
        settings={},
        concurrency={"shards_in_flight": 1},
        tolerated_failure_pct=5.0,
    )


def test_firms_split_into_shards_of_the_setting_in_id_order() -> None:
    shards = split(["C", "A", "E", "B", "D"], 2)
    assert [(s.shard, s.firms) for s in shards] == [
        ("00000", ["A", "B"]),
        ("00001", ["C", "D"]),
        ("00002", ["E"]),
    ]


def test_inputs_count_rows_per_firm_and_name_unreadable_objects(store: ObjectStore) -> None:
    raw(store, "a", ["X", "X", "Y"])
    raw(store, "b", ["Y"])
    store.put_bytes(layout.raw_transcripts_key("2017Q1", "broken"), b"PAR1 not parquet")
    found = read_inputs(store, "2017Q1")
    assert found.firm_rows == {"X": 2, "Y": 2}
    assert [p["object_key"] for p in found.problems] == [
        layout.raw_transcripts_key("2017Q1", "broken")
    ]
    assert len(found.objects) == 3 and all(len(o["sha256"]) == 64 for o in found.objects)


def test_no_raw_transcripts_is_an_input_error(store: ObjectStore) -> None:
    with pytest.raises(InputError, match=r"no raw transcripts under .*ftm ingest"):
        read_inputs(store, "2017Q1")


def test_the_fingerprint_follows_the_contents_and_the_settings(store: ObjectStore) -> None:
    raw(store, "a", ["X"])
    first = fingerprint("2017Q1", read_inputs(store, "2017Q1"), {"topic_seed": 42})
    assert first == fingerprint("2017Q1", read_inputs(store, "2017Q1"), {"topic_seed": 42})
    assert first != fingerprint("2017Q1", read_inputs(store, "2017Q1"), {"topic_seed": 7})
    raw(store, "a", ["X", "Z"])
    assert first != fingerprint("2017Q1", read_inputs(store, "2017Q1"), {"topic_seed": 42})


def test_a_rerun_finds_the_newest_run_of_the_same_fingerprint(store: ObjectStore) -> None:
    plan("20260101T000000Z-aaaa", "2026-01-01T00:00:00").save(store)
    plan("20260102T000000Z-bbbb", "2026-01-02T00:00:00").save(store)
    plan("20260103T000000Z-cccc", "2026-01-03T00:00:00", fp="e" * 64).save(store)
    found = matching_plan(store, "2017Q1", "f" * 64)
    assert found is not None and found.run_id == "20260102T000000Z-bbbb"
    assert matching_plan(store, "2017Q1", "0" * 64) is None
    assert store.read_json(layout.shard_items_key("2017Q1", found.run_id)) == [
        {"shard": "00000", "firms": 1},
        {"shard": "00001", "firms": 1},
    ]


def test_an_execution_records_its_run(store: ObjectStore) -> None:
    planned = plan("20260101T000000Z-aaaa", "2026-01-01T00:00:00")
    record_execution(store, planned, "local-1")
    pointer = executed_plan(store, "2017Q1", "local-1")
    assert pointer["run_id"] == planned.run_id
    assert pointer["failures_key"] == layout.run_failures_key("2017Q1", planned.run_id)


def test_reduce_reads_the_newest_mapped_run_never_one_still_mapping(store: ObjectStore) -> None:
    older, newer = (
        plan("20260101T000000Z-aaaa", "2026-01-01T00:00:00"),
        plan("20260102T000000Z-bbbb", "2026-01-02T00:00:00"),
    )
    for each in (older, newer):
        each.save(store)
    with pytest.raises(InputError, match="no run whose map finished"):
        runs.reducible_run(store, "2017Q1")
    runs.update_manifest(store, older, state=runs.MAPPED)
    runs.update_manifest(store, newer, state=runs.PLANNED)
    assert runs.reducible_run(store, "2017Q1").run_id == older.run_id
    with pytest.raises(InputError, match="is 'planned', not mapped"):
        runs.reducible_run(store, "2017Q1", newer.run_id)
    runs.update_manifest(store, newer, state=runs.MAP_FAILED)
    assert runs.reducible_run(store, "2017Q1").run_id == older.run_id
    with pytest.raises(InputError, match="has no run 'nope'"):
        runs.reducible_run(store, "2017Q1", "nope")


def test_only_parts_a_shards_progress_lists_belong_to_the_run(store: ObjectStore) -> None:
    planned = plan("20260101T000000Z-aaaa", "2026-01-01T00:00:00")
    progress = ShardProgress.load(store, "2017Q1", planned.run_id, "00000")
    listed = progress.next_part_key()
    store.write_parquet(listed, pa.table({"x": [1]}))
    progress.parts.append(listed)
    progress.save(store)
    sentences = progress.sentence_part_key(0)
    store.write_parquet(sentences, pa.table({"x": [1]}))
    orphan = layout.shard_part_key("2017Q1", planned.run_id, "00000", 1)
    orphan_sentences = layout.shard_sentence_part_key("2017Q1", planned.run_id, "00000", 1)
    for key in (orphan, orphan_sentences):
        store.write_parquet(key, pa.table({"x": [2]}))
    assert runs.run_parts(store, planned) == [listed]
    assert runs.run_sentence_parts(store, planned) == [sentences]
    assert progress.remove_orphan_parts(store) == [orphan, orphan_sentences]
    assert not store.exists(orphan) and not store.exists(orphan_sentences)
    assert store.exists(listed) and store.exists(sentences)


def test_runs_are_listed_newest_first_with_their_state(store: ObjectStore) -> None:
    older = plan("20260101T000000Z-aaaa", "2026-01-01T00:00:00")
    newer = plan("20260102T000000Z-bbbb", "2026-01-02T00:00:00")
    for each in (older, newer):
        each.save(store)
    runs.update_manifest(store, older, state=runs.REDUCED)
    runs.set_current(store, "2017Q1", older.run_id)
    done = ShardProgress("2017Q1", newer.run_id, "00001", complete=True)
    done.save(store)
    listed = runs.runs_of(store, "2017Q1")
    assert [(s.plan.run_id, s.state, s.current) for s in listed] == [
        (newer.run_id, "mapping (1/2 shards done)", False),
        (older.run_id, runs.REDUCED, True),
    ]


@pytest.mark.parametrize(
    ("damage", "reason"), [(b'{"state": "redu', "Unterminated string"), (b"[1, 2]", "a JSON list")]
)
def test_a_damaged_manifest_is_named_and_hides_no_other_run(
    store: ObjectStore, damage: bytes, reason: str
) -> None:
    damaged = plan("20260101T000000Z-aaaa", "2026-01-01T00:00:00")
    good = plan("20260102T000000Z-bbbb", "2026-01-02T00:00:00")
    for each in (damaged, good):
        each.save(store)
    runs.update_manifest(store, good, state=runs.REDUCED)
    store.put_bytes(layout.run_manifest_key("2017Q1", damaged.run_id), damage)

    listed = runs.runs_of(store, "2017Q1")

    assert [(s.plan.run_id, s.state) for s in listed] == [
        (good.run_id, runs.REDUCED),
        (damaged.run_id, "unknown (manifest unreadable)"),
    ]
    assert "manifest.json is not a readable Parquet/JSON object" in listed[1].problem
    assert reason in listed[1].problem


def test_the_gpu_time_of_an_execution_goes_into_its_runs_manifest(store: ObjectStore) -> None:
    planned = plan("20260101T000000Z-aaaa", "2026-01-01T00:00:00")
    planned.save(store)
    record_execution(store, planned, "smoke-2017Q1-1")
    usage = {"minutes": 42.5, "cost_usd": 0.71}
    assert runs.record_gpu_time(store, "2017Q1", "smoke-2017Q1-1", usage) == planned.run_id
    runs.record_gpu_time(store, "2017Q1", "smoke-2017Q1-1", usage)
    gpu = runs.read_manifest(store, "2017Q1", planned.run_id)["gpu"]
    assert gpu == [{"execution": "smoke-2017Q1-1", **usage}] * 2
    assert runs.record_gpu_time(store, "2017Q1", "never-planned", usage) is None
