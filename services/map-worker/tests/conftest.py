"""A run of one finished shard of 20 firms in a local folder store (`folder_store`; the
plugin's `store` is the moto bucket), with the failures a test gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ftm_shared import layout
from ftm_shared.plan import Plan, ShardPlan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore
from map_worker.progress_files import Failure, write_failures

FIRMS = [f"F{n:02d}" for n in range(20)]


@pytest.fixture
def folder_store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(str(tmp_path / "bucket"))


@pytest.fixture
def finished_shard(folder_store: ObjectStore) -> Callable[[list[Failure], float], Plan]:
    """`make(failures, tolerated_pct)`: shard 00000 complete, its firms done but the failed."""

    def make(failures: list[Failure], tolerated_pct: float = 5.0) -> Plan:
        plan = Plan(
            "2017Q1", "20260101T000000Z-aaaa", "f" * 64, "2026-01-01T00:00:00",
            [ShardPlan("00000", FIRMS)], {}, {"shards_in_flight": 1}, tolerated_pct,
        )  # fmt: skip
        plan.save(folder_store)
        key = layout.shard_failures_key(plan.quarter, plan.run_id, "00000")
        write_failures(folder_store, key, failures, quarter=plan.quarter, run_id=plan.run_id)
        failed = {failure.firm_id for failure in failures}
        done = [firm for firm in FIRMS if firm not in failed]
        ShardProgress(plan.quarter, plan.run_id, "00000", done, complete=True, attempts=1).save(
            folder_store
        )
        return plan

    return make
