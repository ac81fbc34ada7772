"""The state machine: its jobs are the batch module's, its parameters are what the job
commands take, and a failed map names the failures manifest where map writes it."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from ftm_ops.local.cloud import LocalCloud
from ftm_shared.layout import failures_key

TERRAFORM = Path(__file__).resolve().parents[1]
ASL = TERRAFORM / "modules" / "stepfunctions" / "definition.asl.json"


def definition(**values: str) -> dict[str, Any]:
    text = ASL.read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    for key in placeholders:
        text = text.replace("${" + key + "}", values.get(key, f"<{key}>"))
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def placeholders() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))


@pytest.mark.unit
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


@pytest.mark.unit
def test_jobs_are_the_batch_stages_with_the_parameters_their_commands_take(
    modules: dict[str, Any],
) -> None:
    stages = modules["batch"]["locals"]["stages"]
    states = definition()["States"]
    submitted = {}
    for state in states.values():
        if state.get("Resource", "").startswith("arn:aws:states:::batch:submitJob"):
            parameters = state["Parameters"]
            stage = re.fullmatch(r"<(\w+)_job_definition_arn>", parameters["JobDefinition"])
            assert stage, parameters["JobDefinition"]
            submitted[stage.group(1)] = {k.removesuffix(".$") for k in parameters["Parameters"]}
    assert set(submitted) == set(stages)
    for stage, body in stages.items():
        refs = {a.removeprefix("Ref::") for a in body["command"] if a.startswith("Ref::")}
        assert refs == submitted[stage], stage


@pytest.mark.unit
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


@pytest.mark.integration
def test_failed_map_names_the_failures_manifest(local_cloud: LocalCloud) -> None:
    """Runs the real Prepare and MapFailed states in moto (the Batch task cannot run there)."""
    httpx.post(
        f"{local_cloud.endpoint_url}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
    ).raise_for_status()
    states = definition()["States"]
    machine = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {**states["Prepare"], "Next": "MapFailed"},
            "MapFailed": states["MapFailed"],
        },
    }
    sfn = local_cloud.client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"asl-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(machine),
        roleArn="arn:aws:iam::123456789012:role/test",
    )["stateMachineArn"]
    name = "smoke-2017Q1-20260101T000000"
    execution = sfn.start_execution(
        stateMachineArn=arn, name=name, input=json.dumps({"quarter": "2017Q1", "bucket": "b-1"})
    )["executionArn"]
    for _ in range(100):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert described["status"] == "FAILED"
    assert described["error"] == "MapFailed"
    assert described["cause"].endswith(f"s3://b-1/{failures_key('2017Q1', name)}")
