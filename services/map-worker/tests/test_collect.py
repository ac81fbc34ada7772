"""The collect stage on a local store: the policy's verdict becomes the run's state, and a
re-run under another tolerance judges the same firms again."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftm_shared import layout, runs
from ftm_shared.plan import Plan, ShardPlan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore
from map_worker.collect import collect
from map_worker.progress_files import Failure, write_failures

pytestmark = pytest.mark.unit

FIRMS = [f"F{n:02d}" for n in range(20)]


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(str(tmp_path / "bucket"))


def mapped_with_failures(store: ObjectStore, failed: int, tolerated_pct: float) -> Plan:
    """One finished shard of 20 firms, `failed` of them failed."""
    plan = Plan(
        "2017Q1", "20260101T000000Z-aaaa", "f" * 64, "2026-01-01T00:00:00",
        [ShardPlan("00000", FIRMS)], {}, {"shards_in_flight": 1}, tolerated_pct,
    )  # fmt: skip
    plan.save(store)
    failures = [Failure("map", "TopicError", "no topics", 1, firm) for firm in FIRMS[:failed]]
    key = layout.shard_failures_key(plan.quarter, plan.run_id, "00000")
    write_failures(store, key, failures, quarter=plan.quarter, run_id=plan.run_id, shard="00000")
    ShardProgress(plan.quarter, plan.run_id, "00000", FIRMS, complete=True, attempts=1).save(store)
    return plan


def test_a_run_within_the_tolerance_is_mapped(store: ObjectStore) -> None:
    plan = mapped_with_failures(store, failed=1, tolerated_pct=5.0)
    assert collect(store, plan).verdict.passed
    assert runs.read_manifest(store, plan.quarter, plan.run_id)["state"] == runs.MAPPED


def test_a_raised_tolerance_unblocks_a_run_that_failed_it(store: ObjectStore) -> None:
    plan = mapped_with_failures(store, failed=3, tolerated_pct=5.0)
    assert not collect(store, plan).verdict.passed
    assert runs.read_manifest(store, plan.quarter, plan.run_id)["state"] == runs.MAP_FAILED

    plan.tolerated_failure_pct = 20.0  # what planning records on a re-run with the new setting
    plan.save(store)
    collected = collect(store, plan)

    assert collected.verdict.passed
    assert runs.read_manifest(store, plan.quarter, plan.run_id)["state"] == runs.MAPPED
    assert runs.reducible_run(store, plan.quarter).run_id == plan.run_id


def test_a_reduced_run_stays_reduced(store: ObjectStore) -> None:
    plan = mapped_with_failures(store, failed=1, tolerated_pct=5.0)
    collect(store, plan)
    runs.update_manifest(store, plan, state=runs.REDUCED)
    collect(store, plan)
    assert runs.read_manifest(store, plan.quarter, plan.run_id)["state"] == runs.REDUCED
