"""The collect stage on a local store: the policy's verdict becomes the run's state, and a
re-run under another tolerance judges the same firms again."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ftm_shared import runs
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectStore
from map_worker.collect import collect
from map_worker.progress_files import Failure

pytestmark = pytest.mark.unit
MakeShard = Callable[..., Plan]


def failed(n: int) -> list[Failure]:
    return [Failure("map", "TopicError", "no topics", 1, f"F{i:02d}") for i in range(n)]


def test_a_run_within_the_tolerance_is_mapped(
    folder_store: ObjectStore, finished_shard: MakeShard
) -> None:
    plan = finished_shard(failed(1), 5.0)
    assert collect(folder_store, plan).verdict.passed
    assert runs.read_manifest(folder_store, plan.quarter, plan.run_id)["state"] == runs.MAPPED


def test_a_raised_tolerance_unblocks_a_run_that_failed_it(
    folder_store: ObjectStore, finished_shard: MakeShard
) -> None:
    plan = finished_shard(failed(3), 5.0)
    assert not collect(folder_store, plan).verdict.passed
    assert runs.read_manifest(folder_store, plan.quarter, plan.run_id)["state"] == runs.MAP_FAILED

    plan.tolerated_failure_pct = 20.0  # what planning records on a re-run with the new setting
    plan.save(folder_store)
    collected = collect(folder_store, plan)

    assert collected.verdict.passed
    assert runs.read_manifest(folder_store, plan.quarter, plan.run_id)["state"] == runs.MAPPED
    assert runs.reducible_run(folder_store, plan.quarter).run_id == plan.run_id


def test_a_reduced_run_stays_reduced(folder_store: ObjectStore, finished_shard: MakeShard) -> None:
    plan = finished_shard(failed(1), 5.0)
    collect(folder_store, plan)
    runs.update_manifest(folder_store, plan, state=runs.REDUCED)
    collect(folder_store, plan)
    assert runs.read_manifest(folder_store, plan.quarter, plan.run_id)["state"] == runs.REDUCED
