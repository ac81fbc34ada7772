"""The plan stage on a local store: the same inputs and result settings find the same run, a
changed input, setting or `new_run` makes a new one, and operational settings do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ftm_shared import layout, runs, schemas
from ftm_shared.errors import InputError
from ftm_shared.plan import executed_plan
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings
from map_worker.planning import Selection, plan_quarter

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(str(tmp_path / "bucket"))


def settings(**changed: Any) -> MapWorkerSettings:
    base = {"s3_bucket": "bkt", "llm_base_url": "http://127.0.0.1:1/v1", "llm_model": "m"}
    return MapWorkerSettings(**{**base, **changed})


def raw(store: ObjectStore, firms: list[str], name: str = "maec") -> None:
    rows = [
        {"call_id": f"c-{f}", "firm_id": f, "quarter": "2017Q1", "para_idx": 0, "text": "x"}
        for f in firms
    ]
    table = pa.Table.from_pylist(rows)
    for field in schemas.RAW_TRANSCRIPTS:
        if field.name not in table.column_names:
            table = table.append_column(field.name, pa.nulls(table.num_rows, field.type))
    store.write_parquet(
        layout.raw_transcripts_key("2017Q1", name),
        table.select(schemas.RAW_TRANSCRIPTS.names).cast(schemas.RAW_TRANSCRIPTS),
    )


def test_a_quarter_is_split_into_shards_with_its_concurrency_recorded(store: ObjectStore) -> None:
    raw(store, ["E", "A", "C", "B", "D"])
    planned = plan_quarter(
        store, settings(map_shard_firms=2, llm_max_concurrent=8), "2017Q1", Selection()
    )
    plan = planned.plan
    assert not planned.resumed
    assert [s.firms for s in plan.shards] == [["A", "B"], ["C", "D"], ["E"]]
    # One vLLM instance of 32 slots / 8 requests per shard: 4, but only 3 shards exist.
    assert plan.concurrency["shards_in_flight"] == 3
    assert plan.concurrency["requests_in_flight"] == 24
    assert plan.tolerated_failure_pct == 5.0
    manifest = runs.read_manifest(store, "2017Q1", plan.run_id)
    assert manifest["state"] == runs.PLANNED and manifest["plan"]["shards"] == 3
    assert manifest["settings"]["topic_seed"] == 42 and "llm_api_key" not in manifest["settings"]
    assert store.read_json(layout.shard_items_key("2017Q1", plan.run_id))[2] == {
        "shard": "00002",
        "firms": 1,
    }


def test_the_same_inputs_and_settings_find_the_same_run(store: ObjectStore) -> None:
    raw(store, ["A", "B"])
    first = plan_quarter(store, settings(), "2017Q1", Selection()).plan
    again = plan_quarter(store, settings(), "2017Q1", Selection(), execution="exec-2")
    assert again.resumed and again.plan.run_id == first.run_id
    assert executed_plan(store, "2017Q1", "exec-2")["run_id"] == first.run_id
    # Where and how fast are not what: the same run, its plan refreshed.
    faster = plan_quarter(store, settings(vllm_instances=4), "2017Q1", Selection())
    assert faster.resumed and faster.plan.concurrency["vllm_instances"] == 4


@pytest.mark.parametrize(
    "change",
    [
        {"settings": settings(topic_seed=7)},
        {"settings": settings(map_shard_firms=1)},
        {"selection": Selection(firms=1)},
        {"selection": Selection(keyword_fallback=True)},
        {"new_run": True},
        {"inputs": ["A", "B", "C"]},
    ],
)
def test_a_changed_input_or_result_setting_or_new_run_makes_a_new_run(
    store: ObjectStore, change: dict[str, Any]
) -> None:
    raw(store, ["A", "B"])
    first = plan_quarter(store, settings(), "2017Q1", Selection()).plan
    if "inputs" in change:
        raw(store, change["inputs"])
    other = plan_quarter(
        store,
        change.get("settings", settings()),
        "2017Q1",
        change.get("selection", Selection()),
        new_run=change.get("new_run", False),
    )
    assert not other.resumed and other.plan.run_id != first.run_id


def test_unknown_firms_are_an_input_error(store: ObjectStore) -> None:
    raw(store, ["A"])
    with pytest.raises(InputError, match="--firm-ids not in the quarter's data: Z"):
        plan_quarter(store, settings(), "2017Q1", Selection(firm_ids=("A", "Z")))
