"""The pipeline's one definition: stage order, exit codes and the failure policy."""

from __future__ import annotations

import pytest

from ftm_shared import pipeline
from ftm_shared.pipeline import EXIT_OK, EXIT_POLICY_FAILED, FailurePolicy, PipelineSettings

pytestmark = pytest.mark.unit

MANIFEST = "s3://bucket/progress/2017Q1/smoke_failures.json"


def test_one_firm_of_twenty_failing_is_tolerated_at_the_default() -> None:
    verdict = FailurePolicy.from_settings(PipelineSettings()).judge(20, 1, MANIFEST)
    assert verdict.passed and verdict.exit_code == EXIT_OK
    assert pipeline.lets_next_stage_run(verdict.exit_code)
    assert "1 of 20 firm(s) failed (5.0%" in verdict.message()
    assert MANIFEST in verdict.message()


def test_five_firms_of_twenty_failing_stop_the_quarter_naming_the_manifest() -> None:
    verdict = FailurePolicy.from_settings(PipelineSettings()).judge(20, 5, MANIFEST)
    assert not verdict.passed and verdict.exit_code == EXIT_POLICY_FAILED
    assert not pipeline.lets_next_stage_run(verdict.exit_code)
    assert verdict.message().endswith(f"the quarter stops here; failures manifest: {MANIFEST}")
    assert "PIPELINE_TOLERATED_FAILURE_PCT" in verdict.message()


def test_the_tolerance_is_a_setting() -> None:
    class Settings(PipelineSettings):
        pass

    policy = FailurePolicy.from_settings(Settings(pipeline_tolerated_failure_pct=25))
    assert policy.judge(20, 5, MANIFEST).passed
    assert not policy.judge(20, 6, MANIFEST).passed
    assert FailurePolicy(0).judge(20, 0, MANIFEST).passed
    assert not FailurePolicy(0).judge(20, 1, MANIFEST).passed


def test_a_quarter_without_firms_never_passes() -> None:
    assert not FailurePolicy(100).judge(0, 0, MANIFEST).passed


def test_stages_run_plan_map_collect_reduce_with_their_commands() -> None:
    assert [stage.name for stage in pipeline.STAGES] == ["plan", "map", "collect", "reduce"]
    values = {"quarter": "2017Q1", "bucket": "b", "run_id": "r", "shard": "00001"}
    assert pipeline.stage("reduce").command(values) == [
        *("run", "--quarter", "2017Q1", "--bucket", "b", "--run-id", "r")
    ]
    assert pipeline.stage("map").command(values, shard=True)[-2:] == ["--shard", "00001"]
    assert pipeline.stage("map").module == "map_worker"
    assert pipeline.stage("plan").placeholders() == {"quarter", "bucket", "execution", "new_run"}
    for stage in pipeline.STAGES:
        assert stage.placeholders(shard=True) <= set(pipeline.STAGE_VALUES), stage.name


@pytest.mark.parametrize(
    ("instances", "per_instance", "llm_max_concurrent", "shards", "in_flight"),
    [
        (1, 32, 10, 18, 3),  # one GPU: 3 shards x 10 requests fill its 32 slots best
        (4, 32, 10, 18, 12),
        (4, 32, 10, 5, 5),  # never more than the plan has
        (1, 8, 10, 18, 1),  # at least one
    ],
)
def test_shards_in_flight_match_the_fleet(
    instances: int, per_instance: int, llm_max_concurrent: int, shards: int, in_flight: int
) -> None:
    settings = PipelineSettings(
        vllm_instances=instances, vllm_concurrency_per_instance=per_instance
    )
    assert settings.shards_in_flight(shards, llm_max_concurrent) == in_flight


@pytest.mark.parametrize(
    ("pct", "shard_firms", "tolerated_firms", "shards"),
    [
        (5.0, [194] * 17 + [202], 175, 18),  # a quarter: one lost shard may still pass
        (5.0, [2] * 18, 1, 1),  # 36 firms: a second failed shard loses a second firm
        (5.0, [13, 12], 1, 1),  # the smoke run: 1 of 25 is 4%
        (0.0, [10, 10], 0, 0),  # nothing tolerated: the first failure stops the map
        (5.0, [10, 10], 1, 1),  # 1 of 20 is exactly 5% and passes
        (100.0, [3, 4], 7, 2),
    ],
)
def test_the_map_loses_whole_shards_only_where_the_firm_policy_could_still_pass(
    pct: float, shard_firms: list[int], tolerated_firms: int, shards: int
) -> None:
    policy = FailurePolicy(pct)
    total = sum(shard_firms)
    assert policy.tolerated_firms(total) == tolerated_firms
    assert policy.judge(total, tolerated_firms, "m").passed
    assert tolerated_firms == total or not policy.judge(total, tolerated_firms + 1, "m").passed
    assert policy.shards_the_map_may_lose(shard_firms) == shards
