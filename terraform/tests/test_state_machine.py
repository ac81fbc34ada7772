"""The state machine follows the pipeline's one definition (`ftm_shared.pipeline`): its jobs
are the pipeline's stages in order, with the batch module's job definitions and the commands
the stages take, and it reads a job's exit code the way the local run does (0: next stage;
anything else: the stage's Fail state). Run on moto's Step Functions interpreter with the
Batch tasks stood in for (`ftm_ops.quarter.on_moto`: moto cannot run Batch tasks)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from ftm_ops.quarter.on_moto import execute
from ftm_shared import pipeline
from ftm_shared.layout import failures_key

TERRAFORM = Path(__file__).resolve().parents[1]
ASL = TERRAFORM / "modules" / "stepfunctions" / "definition.asl.json"
INTERPRETER = {"stepfunctions": {"execute_state_machine": True}}

pytestmark = pytest.mark.unit


def definition(**values: str) -> dict[str, Any]:
    text = ASL.read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    for key in placeholders:
        text = text.replace("${" + key + "}", values.get(key, f"<{key}>"))
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def placeholders() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))


def test_template_variables_are_exactly_the_placeholders(modules: dict[str, Any]) -> None:
    machine = modules["stepfunctions"]["resource"]["aws_sfn_state_machine.pipeline"]
    match = re.search(r"templatefile\([^,]+,\s*\{(.*)\}\)", machine["definition"], re.S)
    assert match, machine["definition"]
    bound = dict(re.findall(r"(\w+)\s*=\s*([\w.]+)", match.group(1)))
    assert set(bound) == placeholders()
    stages = set(modules["batch"]["locals"]["stages"])
    for key, value in bound.items():
        if key.endswith("_job_definition_arn"):
            stage = key.removesuffix("_job_definition_arn")
            assert stage in stages and value == f"var.job_definition_arns.{stage}"


def test_jobs_are_the_pipeline_stages_with_the_commands_they_take(
    modules: dict[str, Any],
) -> None:
    batch_stages = modules["batch"]["locals"]["stages"]
    states = definition()["States"]
    assert set(batch_stages) == {stage.name for stage in pipeline.STAGES}
    for stage in pipeline.STAGES:
        task = states[stage.state]
        assert task["Resource"] == "arn:aws:states:::batch:submitJob.sync"
        assert task["Parameters"]["JobDefinition"] == f"<{stage.name}_job_definition_arn>"
        submitted = {key.removesuffix(".$") for key in task["Parameters"]["Parameters"]}
        assert submitted == stage.placeholders(), stage.name
        as_refs = [re.sub(r"^\{(\w+)\}$", r"Ref::\1", arg) for arg in stage.args]
        assert batch_stages[stage.name]["command"] == as_refs, stage.name


def test_states_follow_the_pipeline_order_and_failures_end_in_the_stages_fail_state() -> None:
    machine = definition()
    states = machine["States"]
    chain, name = [], machine["StartAt"]
    while "Next" in states[name] or states[name]["Type"] == "Task":
        if states[name]["Type"] == "Task":
            chain.append(name)
            catches = {c["Next"] for c in states[name]["Catch"]}
            stage = next(s for s in pipeline.STAGES if s.state == name)
            assert catches == {stage.failed_state}
            assert states[stage.failed_state]["Type"] == "Fail"
        name = states[name]["Next"]
    assert chain == [stage.state for stage in pipeline.STAGES]
    assert states[name]["Type"] == "Succeed"


def test_every_transition_exists_and_every_state_is_reachable() -> None:
    machine = definition()
    states = machine["States"]
    seen, todo = set(), [machine["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        todo += [state["Next"]] if "Next" in state else []
        todo += [catch["Next"] for catch in state.get("Catch", [])]
    assert seen == set(states)
    for name, state in states.items():
        if state["Type"] == "Task":
            assert state.get("Retry") and state.get("Catch"), f"{name}: retries and catches"


QUARTER_INPUT = {"quarter": "2017Q1", "bucket": "ftm-data"}


def test_a_map_job_that_exits_0_runs_reduce_on_moto() -> None:
    """1 of 20 firms failed: map-worker exits 0 (policy met, firm in the manifest), the Batch
    job succeeds, and the execution goes on to reduce, as `ftm smoke` does."""
    with mock_aws(config=INTERPRETER):  # type: ignore[arg-type]
        done = execute(definition(), QUARTER_INPUT, name="smoke-2017Q1-1")
    assert done.status == "SUCCEEDED", done.cause
    assert [job["JobName"] for job in done.jobs] == ["map-2017Q1", "reduce-2017Q1"]
    assert done.jobs[0]["Parameters"] == {**QUARTER_INPUT, "batch_id": "smoke-2017Q1-1"}
    assert done.jobs[1]["Parameters"] == QUARTER_INPUT


def test_a_map_job_that_fails_the_policy_fails_the_execution_naming_the_manifest() -> None:
    """5 of 20 firms failed: map-worker exits 3, the Batch job fails, reduce never runs."""
    name = "smoke-2017Q1-2"
    with mock_aws(config=INTERPRETER):  # type: ignore[arg-type]
        done = execute(definition(), QUARTER_INPUT, failing={"RunMap"}, name=name)
    assert done.status == "FAILED"
    assert done.error == pipeline.stage("map").failed_state
    assert done.cause and done.cause.endswith(f"s3://ftm-data/{failures_key('2017Q1', name)}")
    assert [job["JobName"] for job in done.jobs] == []
    assert "RunReduce" not in done.states
