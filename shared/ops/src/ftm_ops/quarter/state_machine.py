"""The pipeline's Step Functions state machine, generated from `ftm_shared.pipeline`.

    python -m ftm_ops.quarter.state_machine            # rewrite the terraform module's ASL
    python -m ftm_ops.quarter.state_machine --check    # exit 1 if it differs (a test does this)

Defaults → Prepare → Plan → ReadPlan → MapShards → Collect → Reduce → Done. The plan job
records which run it planned under the execution's name; ReadPlan loads that record (run id,
shards key, shards in flight, tolerated failures), so the run id survives a retry or a redrive:
it is the plan's, not the execution's. MapShards is a Distributed Map reading the plan's shards
from S3 (one child per shard, each a Batch job), chosen over a Batch array job because its
`MaxConcurrency` bounds the shards in flight, hence the requests the vLLM fleet sees, and its
tolerated failures and per-shard retries are the state machine's, visible in its history.
The map tolerates whole shards, as many as the firm policy could still accept
(`FailurePolicy.shards_the_map_may_lose`, an integer as `ToleratedFailureCountPath` requires);
a failed map still goes to Collect, which counts the lost shards' firms as failed and judges
the quarter by the failure policy. An unreadable shard list is its own failure, not lost firms.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ftm_shared import layout, pipeline
from ftm_shared.pipeline import Stage

ASL = Path("terraform/modules/stepfunctions/definition.asl.json")
SYNC_BATCH = "arn:aws:states:::batch:submitJob.sync"
RECORD = "$.recorded.plan"
# Where each of a stage's `{values}` comes from in the execution's state.
PATHS = {
    "quarter": "$.quarter",
    "bucket": "$.bucket",
    "execution": "$$.Execution.Name",
    "new_run": "States.Format('{}', $.new_run)",
    "run_id": f"{RECORD}.run_id",
    # Batch wants environment values as strings, whether the input gave 2 or "2".
    "vllm_instances": "States.Format('{}', $.vllm_instances)",
}
# Inside a shard's child execution, whose input is the Distributed Map's item selector.
SHARD_PATHS = {
    "quarter": "$.quarter",
    "bucket": "$.bucket",
    "run_id": "$.run_id",
    "shard": "$.shard",
}
INPUT_DEFAULTS = {"new_run": "false", "vllm_instances": "1"}
BATCH_RETRY = [
    {
        "ErrorEquals": ["Batch.AWSBatchException", "Batch.ServerException"],
        "IntervalSeconds": 30,
        "MaxAttempts": 3,
        "BackoffRate": 2,
    }
]
# A shard job that fails (a Spot reclaim, whatever Batch's status text says; a lost host; a
# crash) is started again and resumes from its checkpoint: only the firms it had not finished
# are redone. The other stages are not retried: a failed collect or reduce is a verdict.
SHARD_RETRY = {
    "ErrorEquals": ["States.TaskFailed"],
    "IntervalSeconds": 60,
    "MaxAttempts": 2,
    "BackoffRate": 2,
}
FAILURES = {
    "PlanFailed": (
        "planning {} failed (raw transcripts: s3://{}/raw/transcripts/quarter={}/); "
        "see the log of the plan job",
        ["$.quarter", "$.bucket", "$.quarter"],
    ),
    "TooManyFirmsFailed": (
        "more firms of {} failed than the {}% the failure policy tolerates (run {}); "
        "failures manifest: s3://{}/{}",
        [
            "$.quarter",
            f"{RECORD}.tolerated_failure_pct",
            f"{RECORD}.run_id",
            "$.bucket",
            f"{RECORD}.failures_key",
        ],
    ),
    "ShardListUnreadable": (
        "the shard list of run {} of {} could not be read from s3://{}/{}; no shard ran",
        [f"{RECORD}.run_id", "$.quarter", "$.bucket", f"{RECORD}.shards_key"],
    ),
    "ReduceFailed": (
        "reduce failed for run {} of {}; its firm topics stay under s3://{}/{}",
        [f"{RECORD}.run_id", "$.quarter", "$.bucket", f"{RECORD}.run_prefix"],
    ),
}


def _literal(text: str) -> str:
    """A string literal inside an intrinsic function. AWS wants `'{}\\` escaped there and moto
    parses escapes differently, so the texts simply have none (but `{}` placeholders)."""
    assert not set(text.replace("{}", "")) & set("'{}\\"), text
    return f"'{text}'"


def _format(template: str, paths: list[str]) -> str:
    assert template.count("{}") == len(paths), template
    return f"States.Format({_literal(template)}, {', '.join(paths)})"


def command(stage: Stage, paths: dict[str, str], *, shard: bool = False) -> str:
    """The stage's command as `States.Array(...)`: literal words and the values' paths."""
    args = (*stage.args, *stage.shard_args) if shard else stage.args
    items = [
        paths[arg[1:-1]] if arg.startswith("{") and arg.endswith("}") else _literal(arg)
        for arg in args
    ]
    return f"States.Array({', '.join(items)})"


def batch_task(stage: Stage, *, shard: bool = False) -> dict[str, Any]:
    paths = SHARD_PATHS if shard else PATHS
    overrides: dict[str, Any] = {"Command.$": command(stage, paths, shard=shard)}
    if stage.environment:
        overrides["Environment"] = [
            {"Name": variable, "Value.$": paths[value]} for variable, value in stage.environment
        ]
    if stage.vcpu and stage.memory_mib:
        overrides["ResourceRequirements"] = [
            {"Type": "VCPU", "Value": str(stage.vcpu)},
            {"Type": "MEMORY", "Value": str(stage.memory_mib)},
        ]
    name = f"{stage.name}-{{}}-{{}}" if shard else f"{stage.name}-{{}}"
    name_paths = [paths["quarter"], paths["shard"]] if shard else [paths["quarter"]]
    task: dict[str, Any] = {
        "Type": "Task",
        "Resource": SYNC_BATCH,
        "Parameters": {
            "JobName.$": _format(name, name_paths),
            "JobQueue": "${job_queue_arn}",
            "JobDefinition": f"${{{stage.job_definition}_job_definition_arn}}",
            "ContainerOverrides": overrides,
        },
        "ResultSelector": {"job_id.$": "$.JobId", "status.$": "$.Status"},
        "Retry": BATCH_RETRY,
    }
    if shard:
        # A shard that fails for good is one failed item of the map; collect counts its firms.
        return {**task, "Retry": [*BATCH_RETRY, SHARD_RETRY], "ResultPath": None, "End": True}
    return {
        **task,
        "ResultPath": f"$.{stage.name}_job",
        "Catch": [_catch(stage.on_failure)],
    }


def _catch(following: str) -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": following}


def map_shards(stage: Stage) -> dict[str, Any]:
    shard_state = f"{stage.state}Job"
    return {
        "Type": "Map",
        "Comment": "One Batch job per shard of the plan; the shards in flight and the shard "
        "failures tolerated (whole shards, from the firm policy) are the plan's.",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": f"{RECORD}.shards_key"},
        },
        "ItemSelector": {
            "quarter.$": "$.quarter",
            "bucket.$": "$.bucket",
            "run_id.$": f"{RECORD}.run_id",
            "shard.$": "$$.Map.Item.Value.shard",
        },
        "MaxConcurrencyPath": f"{RECORD}.shards_in_flight",
        "ToleratedFailureCountPath": f"{RECORD}.tolerated_shard_failures",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": shard_state,
            "States": {shard_state: batch_task(stage, shard=True)},
        },
        "Label": stage.state,
        "ResultPath": None,
        # An unreadable shard list is not a firm failure: collect would count every firm lost.
        "Catch": [
            {
                "ErrorEquals": ["States.ItemReaderFailed"],
                "ResultPath": "$.error",
                "Next": "ShardListUnreadable",
            },
            _catch(stage.on_failure),
        ],
    }


def read_plan() -> dict[str, Any]:
    key = layout.EXECUTION_KEY.replace("{quarter}", "{}").replace("{execution}", "{}")
    return {
        "Type": "Task",
        "Comment": "What the plan job recorded under this execution's name: the run, its "
        "shards and their concurrency.",
        "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "Parameters": {
            "Bucket.$": "$.bucket",
            "Key.$": _format(key, ["$.quarter", "$$.Execution.Name"]),
        },
        "ResultSelector": {"plan.$": "States.StringToJson($.Body)"},
        "ResultPath": "$.recorded",
        "Retry": [
            {
                "ErrorEquals": ["S3.S3Exception", "States.TaskFailed"],
                "IntervalSeconds": 5,
                "MaxAttempts": 3,
                "BackoffRate": 2,
            }
        ],
        "Catch": [_catch("PlanFailed")],
    }


def definition() -> dict[str, Any]:
    states: dict[str, Any] = {
        "Defaults": {"Type": "Pass", "Result": INPUT_DEFAULTS, "ResultPath": "$.defaults"},
        "Prepare": {
            "Type": "Pass",
            "Comment": "The input over its defaults: {quarter, bucket[, new_run, vllm_instances]}.",
            "Parameters": {"input.$": "States.JsonMerge($.defaults, $, false)"},
            "OutputPath": "$.input",
        },
    }
    order = ["Defaults", "Prepare"]
    for stage in pipeline.STAGES:
        if stage.shard_args:
            states[stage.state] = map_shards(stage)
        else:
            states[stage.state] = batch_task(stage)
        order.append(stage.state)
        if stage.name == "plan":
            states["ReadPlan"] = read_plan()
            order.append("ReadPlan")
    for name, following in zip(order, [*order[1:], "Done"], strict=True):
        states[name]["Next"] = following
    states["Done"] = {"Type": "Succeed"}
    for name, (template, paths) in FAILURES.items():
        states[name] = {"Type": "Fail", "Error": name, "CausePath": _format(template, paths)}
    return {
        "Comment": "ftm pipeline for one quarter, generated from ftm_shared.pipeline by "
        "`python -m ftm_ops.quarter.state_machine`: do not edit by hand. "
        'Input: {"quarter": "2017Q1", "bucket": "...", "new_run": "false", '
        '"vllm_instances": "1"}.',
        "StartAt": "Defaults",
        "States": states,
    }


def rendered() -> str:
    return json.dumps(definition(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    target = ASL
    if "--check" in argv:
        if target.read_text() != rendered():
            print(f"{target} differs from ftm_shared.pipeline: run python -m {__spec__.name}")
            return 1
        return 0
    target.write_text(rendered())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
