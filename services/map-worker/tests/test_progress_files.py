"""Failure classes: a firm that failed for want of the LLM or S3 is tried again by a plain
re-run of the same run; one that failed on its own data is final."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import EndpointConnectionError

from ftm_shared import layout
from ftm_shared.llm.errors import LlmUnavailableError, StructuredOutputError
from ftm_shared.plan import Plan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore
from map_worker.fanout import finished
from map_worker.progress_files import (
    INFRASTRUCTURE,
    INPUT,
    Failure,
    read_failures,
    standing_failures,
    write_failures,
)

pytestmark = pytest.mark.unit
MakeShard = Callable[..., Plan]


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (LlmUnavailableError("the LLM server stayed unhealthy for 600s"), INFRASTRUCTURE),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), INFRASTRUCTURE),
        (ConnectionResetError("reset"), INFRASTRUCTURE),
        (StructuredOutputError("schema", 3, "TopicName", "{}"), INPUT),
        (ValueError("a firm with one sentence"), INPUT),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else value,
)
def test_each_failure_says_whether_a_rerun_tries_it_again(error: Exception, kind: str) -> None:
    failure = Failure.of("naming", error, firm_id="F00")
    assert failure.kind == kind
    assert failure.final == (kind == INPUT)


def test_the_kind_survives_the_manifest_and_older_entries_are_input(
    folder_store: ObjectStore,
) -> None:
    key = "runs/failures.json"
    write_failures(folder_store, key, [Failure.of("naming", LlmUnavailableError("down"))])
    assert [f.kind for f in read_failures(folder_store, key)] == [INFRASTRUCTURE]
    folder_store.write_json(key, {"failures": [{"stage": "map", "error_type": "X", "message": ""}]})
    assert [f.kind for f in read_failures(folder_store, key)] == [INPUT]


def test_a_shard_with_only_final_failures_is_finished(
    folder_store: ObjectStore, finished_shard: MakeShard
) -> None:
    plan = finished_shard([Failure("map", "TopicError", "no topics", 1, "F00")])
    assert finished(folder_store, plan, "00000")


def test_a_shard_whose_firms_lacked_the_llm_is_run_again_for_those_only(
    folder_store: ObjectStore, finished_shard: MakeShard
) -> None:
    own_data = Failure("map", "TopicError", "no topics", 1, "F00")
    no_llm = Failure.of("naming", LlmUnavailableError("down"), firm_id="F01")
    plan = finished_shard([own_data, no_llm])
    assert not finished(folder_store, plan, "00000")

    assert standing_failures(read_failures(folder_store, _key(plan)), problems=[]) == [own_data]
    progress = ShardProgress.load(folder_store, plan.quarter, plan.run_id, "00000")
    assert "F01" not in progress.firms_done  # so the run takes it up again


def test_input_problems_are_found_anew_not_carried_over() -> None:
    vanished = Failure("read", "FirmNotFound", "firm F03 has no rows")
    empty = Failure("read", "InputError", "no sentence of 5+ words", 1, "F02")
    naming = Failure("naming", "StructuredOutputError", "schema", 3, "F02")
    assert standing_failures([vanished, empty, naming], problems=[empty]) == []


def _key(plan: Plan) -> str:
    return layout.shard_failures_key(plan.quarter, plan.run_id, "00000")
