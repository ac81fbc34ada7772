"""The state machine is generated from the pipeline's one definition (`ftm_shared.pipeline`,
by `ftm_ops.quarter.state_machine`): its jobs are the pipeline's stages in order, on the batch
module's job definitions, with the commands the stages take; it reads a job's exit code the
way the local run does (0: next stage; anything else: the stage's failure route); and its
fan-out reads the plan's shards from S3.

The executions run on moto's Step Functions interpreter (in-process `mock_aws`), with the
Batch tasks stood in for and ReadPlan replaced by what the plan job records
(`ftm_ops.quarter.on_moto` says why: moto can run neither). moto's parser ignores
`ToleratedFailurePercentagePath`, so the map tolerates whole shards with
`ToleratedFailureCountPath`, which moto evaluates (and, as AWS does, fails with
`States.Runtime` when the value is not an integer).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.config import DefaultConfig

from ftm_ops.quarter import state_machine
from ftm_ops.quarter.on_moto import Execution, batch_states, execute
from ftm_shared import layout, pipeline
from ftm_shared.plan import Plan, ShardPlan
from ftm_shared.storage import ObjectStore

TERRAFORM = Path(__file__).resolve().parents[1]
ASL = TERRAFORM / "modules" / "stepfunctions" / "definition.asl.json"
INTERPRETER: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}}
BUCKET, QUARTER, EXECUTION = "ftm-data", "2017Q1", "exec-1"

pytestmark = pytest.mark.unit


def definition() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ASL.read_text())
    return loaded


def placeholders() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))


def test_the_definition_is_the_one_generated_from_the_pipeline() -> None:
    assert ASL.read_text() == state_machine.rendered(), (
        "run `python -m ftm_ops.quarter.state_machine` after changing ftm_shared.pipeline"
    )


def test_template_variables_are_exactly_the_placeholders(modules: dict[str, Any]) -> None:
    machine = modules["stepfunctions"]["resource"]["aws_sfn_state_machine.pipeline"]
    match = re.search(r"templatefile\([^,]+,\s*\{(.*)\}\)", machine["definition"], re.S)
    assert match, machine["definition"]
    bound = dict(re.findall(r"(\w+)\s*=\s*([\w.]+)", match.group(1)))
    assert set(bound) == placeholders()
    job_definitions = set(modules["batch"]["locals"]["stages"])
    assert {stage.job_definition for stage in pipeline.STAGES} == job_definitions
    for key, value in bound.items():
        if key.endswith("_job_definition_arn"):
            name = key.removesuffix("_job_definition_arn")
            assert name in job_definitions and value == f"var.job_definition_arns.{name}"


def test_states_follow_the_pipeline_order_and_failures_take_each_stages_route() -> None:
    states = definition()["States"]
    chain, name = [], definition()["StartAt"]
    while "Next" in states[name]:
        chain.append(name)
        name = states[name]["Next"]
    expected = ["Defaults", "Prepare"]
    for stage in pipeline.STAGES:
        expected += [stage.state, "ReadPlan"] if stage.name == "plan" else [stage.state]
        last_catch = states[stage.state]["Catch"][-1]
        assert last_catch == {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.error",
            "Next": stage.on_failure,
        }
    assert chain == expected and states[name]["Type"] == "Succeed"
    for failed in {"PlanFailed", "TooManyFirmsFailed", "ShardListUnreadable", "ReduceFailed"}:
        assert states[failed]["Type"] == "Fail"
    unreadable = states[pipeline.stage("map").state]["Catch"][0]
    assert unreadable["ErrorEquals"] == ["States.ItemReaderFailed"], "not a firm failure"
    assert unreadable["Next"] == "ShardListUnreadable"


def test_every_transition_exists_and_every_state_is_reachable() -> None:
    states = definition()["States"]
    seen, todo = set(), [definition()["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [states[name]["Next"]] if "Next" in states[name] else []
            todo += [catch["Next"] for catch in states[name].get("Catch", [])]
    assert seen == set(states)
    for name, state in batch_states(states):
        assert state.get("Retry"), f"{name}: Batch's own errors are retried"


def test_the_fan_out_reads_the_plans_shards_with_its_concurrency_and_tolerance() -> None:
    fan_out = definition()["States"][pipeline.stage("map").state]
    record = "$.recorded.plan"
    pointer_keys = set(plan_of(2).pointer())
    assert fan_out["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert fan_out["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert fan_out["ItemReader"]["Parameters"]["Key.$"] == f"{record}.shards_key"
    assert fan_out["MaxConcurrencyPath"] == f"{record}.shards_in_flight"
    assert fan_out["ToleratedFailureCountPath"] == f"{record}.tolerated_shard_failures"
    assert {"shards_key", "shards_in_flight", "tolerated_shard_failures"} <= pointer_keys
    selector = {key.removesuffix(".$") for key in fan_out["ItemSelector"]}
    assert selector == pipeline.stage("map").placeholders(shard=True)
    assert fan_out["Catch"][-1]["Next"] == "Collect", "lost shards are counted by collect"
    read_plan = definition()["States"]["ReadPlan"]["Parameters"]["Key.$"]
    assert read_plan == (
        "States.Format('runs/quarter={}/executions/{}.json', $.quarter, $$.Execution.Name)"
    )
    assert (
        layout.execution_key(QUARTER, EXECUTION)
        == f"runs/quarter=2017Q1/executions/{EXECUTION}.json"
    )


def plan_of(shards: int, firms_per_shard: int = 2, tolerated_pct: float = 5.0) -> Plan:
    return Plan(
        quarter=QUARTER,
        run_id="20261130T000000Z-abcdef12",
        fingerprint="abcdef12" * 8,
        created_at="2026-11-30T00:00:00+00:00",
        shards=[
            ShardPlan(f"{n:05d}", [f"F{n}-{i}" for i in range(firms_per_shard)])
            for n in range(shards)
        ],
        settings={},
        concurrency={"shards_in_flight": 2},
        tolerated_failure_pct=tolerated_pct,
    )


def run_on_moto(
    failing: set[str] = frozenset(),  # type: ignore[assignment]
    plan: Plan | None = None,
    failing_shards: set[str] = frozenset(),  # type: ignore[assignment]
    **extra: Any,
) -> tuple[Plan, Execution]:
    """The machine on moto's interpreter, with a plan (default: three shards) in the bucket."""
    plan = plan or plan_of(3)
    with mock_aws(config=INTERPRETER):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        plan.save(ObjectStore(f"s3://{BUCKET}", s3_client=s3))
        done = execute(
            definition(),
            {"quarter": QUARTER, "bucket": BUCKET, **extra},
            failing,
            name=EXECUTION,
            # As the plan job records it: through JSON, as ReadPlan parses it on AWS.
            results={"ReadPlan": {"plan": json.loads(json.dumps(plan.pointer()))}},
            failing_shards=failing_shards,
        )
    return plan, done


def commands(done: Execution) -> dict[str, list[list[str]]]:
    by_stage: dict[str, list[list[str]]] = {}
    for job in done.jobs:
        stage = job["JobName"].split("-", 1)[0]
        by_stage.setdefault(stage, []).append(job["ContainerOverrides"]["Command"])
    return by_stage


def test_a_quarter_runs_each_stage_and_one_job_per_shard_on_moto() -> None:
    plan, done = run_on_moto()
    assert done.status == "SUCCEEDED", done.cause
    values = {
        "quarter": QUARTER,
        "bucket": BUCKET,
        "execution": EXECUTION,
        "new_run": "false",
        "run_id": plan.run_id,
    }
    ran = commands(done)
    assert ran["plan"] == [pipeline.stage("plan").command(values)]
    shard_jobs = sorted(ran["map"])
    assert shard_jobs == [
        pipeline.stage("map").command({**values, "shard": s.shard}, shard=True) for s in plan.shards
    ]
    assert ran["collect"] == [pipeline.stage("collect").command(values)]
    assert ran["reduce"] == [pipeline.stage("reduce").command(values)]
    by_name = {job["JobName"]: job for job in done.jobs}
    assert by_name["reduce-2017Q1"]["JobDefinition"] == "${reduce_job_definition_arn}"
    assert by_name["map-2017Q1-00002"]["JobDefinition"] == "${map_job_definition_arn}"
    small = by_name["plan-2017Q1"]["ContainerOverrides"]["ResourceRequirements"]
    assert small == [{"Type": "VCPU", "Value": "1"}, {"Type": "MEMORY", "Value": "4096"}]
    assert "ResourceRequirements" not in by_name["map-2017Q1-00000"]["ContainerOverrides"]


def test_a_new_run_on_purpose_reaches_the_plan_job() -> None:
    _plan, done = run_on_moto(new_run="true")
    assert commands(done)["plan"][0][-2:] == ["--new-run", "true"]


def test_collect_failing_the_policy_fails_the_execution_naming_the_manifest() -> None:
    """5 of 20 firms failed: collect exits 3, its job fails, reduce never runs."""
    plan, done = run_on_moto(failing={"Collect"})
    assert done.status == "FAILED" and done.error == "TooManyFirmsFailed"
    manifest = f"s3://{BUCKET}/{layout.run_failures_key(QUARTER, plan.run_id)}"
    assert done.cause and done.cause.endswith(f"failures manifest: {manifest}")
    assert "than the 5.0% the failure policy tolerates" in done.cause
    assert "reduce" not in commands(done) and "Reduce" not in done.states


def test_collect_within_the_policy_goes_on_to_reduce_even_after_lost_shards() -> None:
    """Shards whose jobs fail lose their firms; collect counts them (1 of 20: within 5%),
    exits 0, and reduce runs on the rest."""
    _plan, done = run_on_moto(failing={"MapShardsJob"})
    assert done.status == "SUCCEEDED", done.cause
    assert "map" not in commands(done)
    assert set(commands(done)) == {"plan", "collect", "reduce"}


def test_a_failed_plan_names_the_quarters_raw_transcripts() -> None:
    _plan, done = run_on_moto(failing={"Plan"})
    assert done.status == "FAILED" and done.error == "PlanFailed"
    assert done.cause and f"s3://{BUCKET}/raw/transcripts/quarter={QUARTER}/" in done.cause
    assert set(commands(done)) == set()


def test_the_machine_reads_only_what_the_plan_records() -> None:
    used = set(re.findall(r"\$\.recorded\.plan\.(\w+)", json.dumps(definition())))
    assert used and used <= set(plan_of(1).pointer()), used - set(plan_of(1).pointer())


def test_a_quarter_of_18_shards_survives_one_shard_failing_every_attempt() -> None:
    """3,500 firms in 18 shards: one shard is 5.6% of the firms, above the 5% the firm policy
    tolerates, yet the shard keeps what its checkpoint holds. The plan lets the map lose every
    shard (each loses at least one firm, and 175 may fail), so the other 17 shards run to the
    end and collect judges the firms. (moto runs every item whatever the tolerance; the
    tolerance's arithmetic is ftm_shared.pipeline's, tested there.)"""
    plan = plan_of(18, firms_per_shard=194)
    assert plan.pointer()["tolerated_shard_failures"] == 18
    _plan, done = run_on_moto(plan=plan, failing_shards={"00007"})
    assert done.status == "SUCCEEDED", done.cause
    shards_run = sorted(command[-1] for command in commands(done)["map"])
    assert shards_run == [s.shard for s in plan.shards if s.shard != "00007"]
    assert "Collect" in done.states and set(commands(done)) == {"plan", "map", "collect", "reduce"}


def test_a_map_beyond_what_the_policy_could_accept_still_hands_over_to_collect() -> None:
    """36 firms at 5% tolerate one failed firm: a second failed shard loses at least a second
    firm, so on AWS the map stops there; its failure is caught and collect counts and names
    what was lost."""
    plan = plan_of(18, firms_per_shard=2)
    assert plan.pointer()["tolerated_shard_failures"] == 1
    _plan, done = run_on_moto(plan=plan, failing_shards={"00003", "00011"})
    assert "Collect" in done.states
    assert commands(done)["collect"], "the lost firms are counted"


def test_a_failed_shard_job_is_retried_before_it_counts_as_failed() -> None:
    job = definition()["States"][pipeline.stage("map").state]["ItemProcessor"]["States"]
    retries = next(iter(job.values()))["Retry"]
    task_failed = [r for r in retries if r["ErrorEquals"] == ["States.TaskFailed"]]
    assert task_failed and task_failed[0]["MaxAttempts"] >= 1
    for name, state in batch_states(definition()["States"]):
        if name != pipeline.stage("map").state + "Job":
            assert all("States.TaskFailed" not in r["ErrorEquals"] for r in state["Retry"]), (
                f"{name}: a failed collect or reduce is a verdict, not a glitch"
            )


# What the Step Functions docs require of each *Path field's value: (type, lowest, highest).
PATH_FIELD_TYPES = {
    "MaxConcurrencyPath": (int, 0, None),
    "ToleratedFailureCountPath": (int, 0, None),
    "ToleratedFailurePercentagePath": (int | float, 0, 100),
}


@pytest.mark.parametrize(("shards", "firms", "pct"), [(1, 1, 0.0), (2, 13, 5.0), (18, 194, 5.0)])
def test_every_path_field_resolves_to_the_type_step_functions_requires(
    shards: int, firms: int, pct: float
) -> None:
    recorded = {"recorded": {"plan": json.loads(json.dumps(plan_of(shards, firms, pct).pointer()))}}
    found = 0
    for state in definition()["States"].values():
        for field_name, path in state.items():
            if not field_name.endswith("Path") or field_name in {
                "ResultPath",
                "OutputPath",
                "InputPath",
                "CausePath",
            }:
                continue
            assert field_name in PATH_FIELD_TYPES, f"{field_name}: add its required type"
            kind, lowest, highest = PATH_FIELD_TYPES[field_name]
            value: Any = recorded
            for part in path.removeprefix("$.").split("."):
                value = value[part]
            assert isinstance(value, kind) and not isinstance(value, bool), (field_name, value)
            assert value >= lowest and (highest is None or value <= highest), (field_name, value)
            found += 1
    assert found == 2


@pytest.mark.parametrize(("given", "passed"), [(None, "1"), ("2", "2"), (3, "3")])
def test_the_plan_job_gets_the_fleet_size_the_operator_started(given: Any, passed: str) -> None:
    extra = {} if given is None else {"vllm_instances": given}
    _plan, done = run_on_moto(**extra)
    plan_job = next(job for job in done.jobs if job["JobName"].startswith("plan-"))
    assert plan_job["ContainerOverrides"]["Environment"] == [
        {"Name": "VLLM_INSTANCES", "Value": passed}
    ]
