from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ftm_shared import layout
from ftm_shared.plan import Plan, ShardPlan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ContractError, CorruptObjectError, ObjectStore
from reduce_worker.inputs import FirmTopicsError, NoTopicsError, read_firm_topics

pytestmark = pytest.mark.unit


@pytest.fixture
def local_store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(str(tmp_path / "bucket"))


# One shard of one run: reduce reads the parts its progress lists.
PLAN = Plan("2017Q1", "r1", "r1", "2026-01-01T00:00:00", [ShardPlan("00000", [])], {}, {}, 5.0)


def put(store: ObjectStore, part: int, table: pa.Table | bytes) -> str:
    progress = ShardProgress.load(store, "2017Q1", "r1", "00000")
    key = layout.shard_part_key("2017Q1", "r1", "00000", part)
    if isinstance(table, bytes):
        store.put_bytes(key, table)
    else:
        store.write_parquet(key, table)
    progress.parts.append(key)
    progress.save(store)
    return key


def test_parts_are_read_in_firm_topic_order_as_unit_vectors(
    local_store: ObjectStore, planted: Callable[..., pa.Table]
) -> None:
    table = planted(themes=3, firms=4)
    reversed_rows = table.take(pa.array(np.arange(table.num_rows)[::-1]))
    put(local_store, 0, reversed_rows.slice(0, 5))
    put(local_store, 1, reversed_rows.slice(5))
    topics = read_firm_topics(local_store, PLAN)
    rows = topics.rows
    keys = list(zip(rows["firm_id"].to_pylist(), rows["topic_id"].to_pylist(), strict=True))
    assert keys == sorted(keys) and len(keys) == table.num_rows
    assert np.allclose(np.linalg.norm(topics.unit, axis=1), 1.0, atol=1e-5)
    assert "centroid" not in topics.rows.column_names


def test_a_corrupt_part_is_named(local_store: ObjectStore) -> None:
    put(local_store, 3, b"PAR1 not parquet at all")
    with pytest.raises(CorruptObjectError, match=r"shard=00000/part-00003\.parquet"):
        read_firm_topics(local_store, PLAN)


def test_a_part_without_centroids_is_named_with_the_column(
    local_store: ObjectStore, planted: Callable[..., pa.Table]
) -> None:
    put(local_store, 0, planted(themes=2, firms=2))
    put(local_store, 1, planted(themes=2, firms=2).drop_columns(["centroid"]))
    with pytest.raises(ContractError, match=r"part-00001\.parquet: missing .*centroid"):
        read_firm_topics(local_store, PLAN)


def test_no_parts_or_no_rows_is_a_clear_error(
    local_store: ObjectStore, planted: Callable[..., pa.Table]
) -> None:
    with pytest.raises(NoTopicsError, match=r"run r1 of 2017Q1 has no firm-topic rows"):
        read_firm_topics(local_store, PLAN)
    put(local_store, 0, planted(themes=1, firms=1).slice(0, 0))
    with pytest.raises(NoTopicsError, match=r"\(1 part\(s\) under "):
        read_firm_topics(local_store, PLAN)


def test_the_same_topic_in_two_parts_names_both(
    local_store: ObjectStore, planted: Callable[..., pa.Table]
) -> None:
    table = planted(themes=2, firms=2)
    put(local_store, 0, table)
    put(local_store, 1, table.slice(1, 1))
    with pytest.raises(FirmTopicsError, match=r"part-00000.parquet, .*part-00001.parquet"):
        read_firm_topics(local_store, PLAN)


@pytest.mark.parametrize(
    ("centroid", "problem"),
    [([0.0, 0.0, 0.0], "all zeros"), ([float("nan"), 1.0, 0.0], "NaN"), ([1.0], "lengths")],
)
def test_unusable_centroids_are_named(
    local_store: ObjectStore,
    planted: Callable[..., pa.Table],
    centroid: list[float],
    problem: str,
) -> None:
    table = planted(themes=2, firms=1)
    table = table.set_column(
        table.schema.get_field_index("centroid"),
        "centroid",
        pa.array([[1.0, 0.5, 0.0], centroid], pa.list_(pa.float32())),
    )
    put(local_store, 0, table)
    with pytest.raises(FirmTopicsError, match=f"part-00000.parquet: .*{problem}"):
        read_firm_topics(local_store, PLAN)


def test_rows_of_another_quarter_are_named(
    local_store: ObjectStore, planted: Callable[..., pa.Table]
) -> None:
    table = planted(themes=1, firms=2)
    table = table.set_column(0, "quarter", pc.replace_substring(table["quarter"], "Q1", "Q2"))
    put(local_store, 0, table)
    with pytest.raises(FirmTopicsError, match=r"quarter\(s\) \['2017Q2'\] under 2017Q1"):
        read_firm_topics(local_store, PLAN)
