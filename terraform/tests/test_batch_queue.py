"""The job queue: an on-demand Fargate environment behind the Spot one, and jobs Batch cannot
place cancelled with Batch's reason instead of waiting in RUNNABLE while the GPUs bill."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.unit

# AWS Batch user guide, "Automatic remediation with jobStateTimeLimitActions": the blocked
# reasons such an action may name, and the limits of maxTimeSeconds.
CANCELLABLE = {
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
}
MAX_TIME_S = (600, 86400)


def dynamic(body: dict[str, Any], block: str) -> dict[str, Any]:
    [found] = [d[block] for d in body["dynamic"] if block in d]
    return found


def test_jobs_stuck_in_runnable_are_cancelled_with_the_reason(modules: dict[str, Any]) -> None:
    batch = modules["batch"]
    action = dynamic(batch["resource"]["aws_batch_job_queue.this"], "job_state_time_limit_action")
    assert action["for_each"] == "${local.cancellable_reasons}"
    assert set(batch["locals"]["cancellable_reasons"]) == CANCELLABLE
    [content] = action["content"]
    assert content["state"] == "RUNNABLE" and content["action"] == "CANCEL"
    assert content["reason"] == "${job_state_time_limit_action.value}"
    assert content["max_time_seconds"] == "${var.runnable_timeout_s}"
    timeout = batch["variable"]["runnable_timeout_s"]
    assert MAX_TIME_S[0] <= timeout["default"] <= 3600, "cancel within the hour: the GPUs bill"
    assert "600" in timeout["validation"][0]["condition"]
    assert "86400" in timeout["validation"][0]["condition"]


def test_on_demand_fargate_follows_spot_in_the_queue(modules: dict[str, Any]) -> None:
    batch = modules["batch"]
    fallback = batch["resource"]["aws_batch_compute_environment.on_demand"]
    assert fallback["compute_resources"][0]["type"] == "FARGATE"
    assert fallback["count"] == "${local.on_demand_fallback ? 1 : 0}"
    assert batch["variable"]["on_demand_fallback"]["default"] is True
    assert batch["variable"]["capacity"]["default"] == "FARGATE_SPOT"
    # Only behind Spot: a FARGATE queue needs no second on-demand environment.
    assert 'var.capacity == "FARGATE_SPOT"' in batch["locals"]["on_demand_fallback"]
    order = dynamic(batch["resource"]["aws_batch_job_queue.this"], "compute_environment_order")
    assert order["for_each"] == (
        "${concat([aws_batch_compute_environment.this.arn], "
        "aws_batch_compute_environment.on_demand[*].arn)}"
    )
    assert order["content"][0]["order"] == "${compute_environment_order.key + 1}"
