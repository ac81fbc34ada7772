"""Run the pipeline's state machine on moto's Step Functions interpreter (in-process `mock_aws`).

moto 5.2.5 cannot run a Batch task: its `batch:submitJob.sync` integration sends Step
Functions' PascalCase parameters (`JobName`) to the Batch API, which wants camelCase, and the
state fails with `States.Runtime: 'JobName'` before any job exists. So every Batch task is
swapped for a stand-in that moto can run, `sqs:sendMessage`, whose message body is the very
`Parameters` object the Batch task would have submitted (JSONPaths and intrinsic functions
evaluated by moto). Everything else (Pass, Map with its ItemReader and ItemSelector, Fail
states with their causes, each task's Retry, Catch, ResultPath and Next) runs as written.
A stand-in named in `failing` sends to a queue that does not exist, so it fails like a
failed job (every attempt its Retry makes) and its Catch is taken; the shards named in
`failing_shards` fail the same way inside the map, each one alone.

moto's `aws-sdk:s3:getObject` returns the object's Body as a stream where AWS returns a
string, so `States.StringToJson($.Body)` fails there: a task named in `results` becomes a Pass
state with that result (its ResultPath and Next kept).

The retries keep their attempts; their waits are cut to a second.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

BATCH_RESOURCE = "arn:aws:states:::batch:submitJob"
ROLE = "arn:aws:iam::123456789012:role/pipeline"


def batch_states(states: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every Batch task, also those inside a Map's item processor."""
    for name, state in states.items():
        if state.get("Resource", "").startswith(BATCH_RESOURCE):
            yield name, state
        if state["Type"] == "Map":
            yield from batch_states(state["ItemProcessor"]["States"])


def with_stand_ins(
    machine: dict[str, Any],
    queue_url: str,
    failing: set[str],
    results: dict[str, Any] | None = None,
    failing_shards: Collection[str] = (),
) -> dict[str, Any]:
    runnable = copy.deepcopy(machine)
    if failing_shards:
        for state in runnable["States"].values():
            if state["Type"] == "Map":
                _fail_some_items(state["ItemProcessor"], failing_shards)
    for name, result in (results or {}).items():
        task = runnable["States"][name]
        runnable["States"][name] = {
            "Type": "Pass",
            "Result": result,
            "ResultPath": task["ResultPath"],
            "Next": task["Next"],
        }
    for name, state in batch_states(runnable["States"]):
        parameters = state.pop("Parameters")
        state.pop("ResultSelector", None)  # it reads Batch's answer (JobId, Status)
        state["Resource"] = "arn:aws:states:::sqs:sendMessage"
        url = f"{queue_url}-missing" if name in failing or name.endswith(FAILING) else queue_url
        state["Parameters"] = {"QueueUrl": url, "MessageBody": parameters}
        # Every attempt is made, without the minutes between them.
        for retry in state.get("Retry", []):
            retry.update(IntervalSeconds=1, BackoffRate=1)
    return runnable


FAILING = "OfAFailingShard"


def _fail_some_items(processor: dict[str, Any], shards: Collection[str]) -> None:
    """A Choice sends the named shards to a copy of the job that fails; the rest run it."""
    job = processor["StartAt"]
    processor["States"][f"{job}{FAILING}"] = copy.deepcopy(processor["States"][job])
    processor["States"]["WhichShard"] = {
        "Type": "Choice",
        "Choices": [
            {
                "Or": [{"Variable": "$.shard", "StringEquals": shard} for shard in shards],
                "Next": f"{job}{FAILING}",
            }
        ],
        "Default": job,
    }
    processor["StartAt"] = "WhichShard"


@dataclass
class Execution:
    status: str
    error: str | None
    cause: str | None
    jobs: list[dict[str, Any]]
    """The Parameters each Batch task would have submitted, in the order they were sent."""
    states: list[str]
    """The states entered, in order."""


def execute(
    machine: dict[str, Any],
    execution_input: dict[str, Any],
    failing: set[str] = frozenset(),  # type: ignore[assignment]
    name: str = "exec-1",
    results: dict[str, Any] | None = None,
    failing_shards: Collection[str] = (),
) -> Execution:
    """Run `machine` (stand-ins swapped in) inside an active `mock_aws` with the interpreter on."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName=f"jobs-{name}")["QueueUrl"]
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.create_state_machine(
        name=f"pipeline-{name}",
        definition=json.dumps(with_stand_ins(machine, queue_url, failing, results, failing_shards)),
        roleArn=ROLE,
    )["stateMachineArn"]
    execution = sfn.start_execution(
        stateMachineArn=arn, name=name, input=json.dumps(execution_input)
    )["executionArn"]
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish within 60 s"
        time.sleep(0.05)
    jobs = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            jobs.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]
    return Execution(
        described["status"], described.get("error"), described.get("cause"), jobs, entered
    )
