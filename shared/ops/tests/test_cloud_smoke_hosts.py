"""The cloud smoke records the GPU hosts vLLM served from (their AMI floats: terraform resolves
the recommended ECS GPU AMI when it applies) in the run's manifest, beside the GPU time, on
the moto server."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from ftm_ops.cloud.clock import Poller
from ftm_ops.cloud.health import HttpHealth
from ftm_ops.cloud.settings import SmokeSettings
from ftm_ops.cloud.smoke import run_cloud_smoke
from ftm_shared import runs
from ftm_shared.checklist import Checklist, Criterion
from ftm_shared.config import FtmSettings, load_settings
from ftm_shared.plan import Plan, ShardPlan, record_execution
from ftm_shared.storage import ObjectStore

if TYPE_CHECKING:
    from conftest import DeployedStack, FakeAws

pytestmark = pytest.mark.integration
QUARTER = "2017Q1"
RUN_ID = "20261207T000000Z-host"


def planning_job(aws: FakeAws, stack: DeployedStack, store: ObjectStore) -> threading.Thread:
    """Stands in for the plan job (the running execution records the run it planned) and for
    vLLM serving it."""

    def work() -> None:
        aws.wait_for_running_execution(stack)
        [execution] = aws.executions(stack)
        plan = Plan(
            quarter=QUARTER,
            run_id=RUN_ID,
            fingerprint="f" * 64,
            created_at="2026-12-07T00:00:00",
            shards=[ShardPlan("00000", ["F0"])],
            settings={},
            concurrency={"shards_in_flight": 1},
            tolerated_failure_pct=5.0,
        )
        plan.save(store)
        record_execution(store, plan, execution["name"])
        aws.log(stack.vllm_log_group, "vllm/vllm/task-1", aws.vllm_request_line)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_the_manifest_names_the_hosts_and_their_ami(
    aws: FakeAws, health_url: str, store: ObjectStore
) -> None:
    stack = aws.deploy("a_few_seconds")
    job = planning_job(aws, stack, store)
    lines: list[str] = []

    def validate(_settings: FtmSettings, quarter: str) -> Checklist:
        return Checklist(quarter, [Criterion("Summary populated", True)])

    settings = load_settings(SmokeSettings, smoke_poll_s=0.05)
    run_cloud_smoke(
        settings,
        [QUARTER],
        echo=lines.append,
        probe=HttpHealth(health_url),
        validate=validate,
        poller=Poller(lines.append, settings.smoke_poll_s),
    )
    job.join()
    [gpu] = runs.read_manifest(store, QUARTER, RUN_ID)["gpu"]
    [host] = gpu["hosts"]
    assert host["image_id"] == aws.moto_ami
    assert host["instance_id"].startswith("i-")
    assert {"instance_type", "market"} <= set(host)
    assert gpu["minutes"] > 0
    assert any(line.startswith(f"GPU hosts: {host['instance_id']} (") for line in lines)
    assert f"GPU time and hosts recorded in run {RUN_ID}'s manifest ({QUARTER})" in lines
