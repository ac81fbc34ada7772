"""`ftm cloud smoke` against the moto server: scale-up, execution, validation, and the
scale-down that must happen on success, failure and Ctrl-C alike."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from ftm_ops.cloud.clock import Poller
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.health import HttpHealth, TargetGroupHealth
from ftm_ops.cloud.settings import SmokeSettings
from ftm_ops.cloud.smoke import run_cloud_smoke
from ftm_ops.local.cloud import LocalCloud
from ftm_shared.checklist import Checklist, Criterion
from ftm_shared.config import FtmSettings, SettingsError, load_settings

ACCOUNT = "123456789012"  # moto's account
MOTO_AMI = "ami-12c6146b"  # one of moto's built-in images (listing them all is slow)


def checklist_that(passed: bool) -> Checklist:
    return Checklist(QUARTER, [Criterion("Summary populated", passed, detail="stand-in")])


@contextmanager
def health_server(status: int = 200) -> Iterator[str]:
    """A tiny `/health` endpoint on 127.0.0.1, standing in for vLLM."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health"
    finally:
        server.shutdown()
        server.server_close()


def enable_state_machine_execution(cloud: LocalCloud) -> None:
    """Switch moto's Step Functions from "executions stay RUNNING" to really running them."""
    httpx.post(
        f"{cloud.endpoint_url}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
    ).raise_for_status()


PASS_DEFINITION = {
    "StartAt": "Work",
    "States": {"Work": {"Type": "Pass", "Next": "Done"}, "Done": {"Type": "Succeed"}},
}
FAIL_DEFINITION = {
    "StartAt": "MapFailed",
    "States": {
        "MapFailed": {
            "Type": "Fail",
            "Error": "MapFailed",
            "Cause": "failures manifest: s3://b/progress/2017Q1/x_failures.json",
        }
    },
}
SLOW_DEFINITION = {
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "Seconds": 600, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


@dataclass(frozen=True)
class DeployedStack:
    """What terraform's platform stack leaves behind, made in moto, with its SSM handles."""

    asg: str
    cluster: str
    service: str
    target_group_arn: str
    state_machine_arn: str


def deploy_fake_stack(cloud: LocalCloud, name: str, definition: dict[str, Any]) -> DeployedStack:
    ec2, asg, ecs = cloud.client("ec2"), cloud.client("autoscaling"), cloud.client("ecs")
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{name}-gpu", LaunchTemplateData={"ImageId": MOTO_AMI}
    )["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(
        AutoScalingGroupName=f"{name}-gpu",
        LaunchTemplate={"LaunchTemplateId": template},
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=0,
        AvailabilityZones=[f"{cloud.region}a"],
    )
    ecs.create_cluster(clusterName=f"{name}-vllm")
    ecs.register_task_definition(
        family=f"{name}-vllm",
        containerDefinitions=[{"name": "vllm", "image": "vllm", "memory": 1024}],
    )
    ecs.create_service(
        cluster=f"{name}-vllm",
        serviceName=f"{name}-vllm",
        taskDefinition=f"{name}-vllm",
        desiredCount=0,
    )
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    target_group = cloud.client("elbv2").create_target_group(
        Name=f"{name}-vllm", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    machine = cloud.client("stepfunctions").create_state_machine(
        name=f"{name}-pipeline",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}-step-functions",
    )["stateMachineArn"]
    stack = DeployedStack(f"{name}-gpu", f"{name}-vllm", f"{name}-vllm", target_group, machine)
    ssm = cloud.client("ssm")
    handles = {
        "vllm_asg_name": stack.asg,
        "vllm_cluster": stack.cluster,
        "vllm_service": stack.service,
        "vllm_target_group_arn": stack.target_group_arn,
        "state_machine_arn": stack.state_machine_arn,
    }
    for key, value in handles.items():
        ssm.put_parameter(
            Name=f"{cloud.ssm_prefix}{key}", Value=value, Type="String", Overwrite=True
        )
    return stack


pytestmark = pytest.mark.integration
QUARTER = "2017Q1"


@pytest.fixture
def aws(local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> LocalCloud:
    """The local cloud, seen the way an operator's shell sees AWS after `nox -s deploy`."""
    enable_state_machine_execution(local_cloud)
    monkeypatch.setenv("AWS_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("FTM_USE_SSM", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("VLLM_HEALTH_URL", raising=False)
    return local_cloud


@dataclass
class Run:
    stack: DeployedStack
    lines: list[str]
    validated: list[tuple[int, int]]

    def output(self) -> str:
        return "\n".join(self.lines)


def desired(cloud: LocalCloud, stack: DeployedStack) -> tuple[int, int]:
    group = cloud.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[stack.asg]
    )["AutoScalingGroups"][0]
    service = cloud.client("ecs").describe_services(
        cluster=stack.cluster, services=[stack.service]
    )["services"][0]
    return group["DesiredCapacity"], service["desiredCount"]


def executions(cloud: LocalCloud, stack: DeployedStack) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cloud.client("stepfunctions").list_executions(
        stateMachineArn=stack.state_machine_arn
    )["executions"]
    return found


def prepare(cloud: LocalCloud, definition: dict[str, Any]) -> Run:
    return Run(deploy_fake_stack(cloud, f"t{uuid.uuid4().hex[:8]}", definition), [], [])


def start(
    cloud: LocalCloud,
    run: Run,
    *,
    health_url: str,
    checklist: Checklist | None = None,
    sleep: Any = None,
    during_validation: Any = None,
    **overrides: Any,
) -> None:
    def validate(settings: FtmSettings, quarter: str) -> Checklist:
        run.validated.append(desired(cloud, run.stack))
        if during_validation:
            during_validation(run.stack)
        return checklist or checklist_that(passed=True)

    settings = load_settings(SmokeSettings, smoke_poll_s=0.05, **overrides)
    run_cloud_smoke(
        settings,
        QUARTER,
        echo=run.lines.append,
        probe=HttpHealth(health_url),
        validate=validate,
        poller=Poller(run.lines.append, settings.smoke_poll_s, sleep=sleep or time.sleep),
    )


def test_success_scales_up_runs_validates_and_scales_to_zero(aws: LocalCloud) -> None:
    run = prepare(aws, PASS_DEFINITION)
    with health_server() as url:
        start(aws, run, health_url=url)
    # Scaled up while it mattered, resolved from the SSM handles terraform writes...
    assert run.validated == [(1, 1)]
    # ...and back to zero afterwards.
    assert desired(aws, run.stack) == (0, 0)
    [execution] = executions(aws, run.stack)
    assert execution["status"] == "SUCCEEDED"
    assert execution["name"].startswith(f"smoke-{QUARTER}-")
    text = run.output()
    assert "✓ Summary populated: stand-in" in text
    assert "cloud smoke passed for 2017Q1" in text
    assert "vLLM /health: " in text and "HTTP 200" in text
    assert re.search(r"GPU time: [\d.]+ instance-minutes of g5.xlarge .* estimated cost \$", text)


def test_failed_execution_reports_the_cause_and_scales_to_zero(aws: LocalCloud) -> None:
    run = prepare(aws, FAIL_DEFINITION)
    with health_server() as url, pytest.raises(CloudError, match="FAILED: MapFailed") as failed:
        start(aws, run, health_url=url)
    assert "failures manifest: s3://" in str(failed.value)
    assert run.validated == []
    assert desired(aws, run.stack) == (0, 0)
    assert "GPU time:" in run.output()


def test_ctrl_c_stops_the_execution_and_scales_to_zero(aws: LocalCloud) -> None:
    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    # moto's service is stable and /health answers at once: the first sleep is while the
    # (600 s Wait) execution runs.
    run = prepare(aws, SLOW_DEFINITION)
    with health_server() as url, pytest.raises(KeyboardInterrupt):
        start(aws, run, health_url=url, sleep=interrupt)
    assert desired(aws, run.stack) == (0, 0)
    [execution] = executions(aws, run.stack)
    assert execution["status"] == "ABORTED"
    assert "stopped execution" in run.output()


def test_unhealthy_vllm_times_out_without_starting_the_pipeline(aws: LocalCloud) -> None:
    run = prepare(aws, PASS_DEFINITION)
    with (
        health_server(status=503) as url,
        pytest.raises(CloudError, match=r"vLLM /health: not done after .*HTTP 503"),
    ):
        start(aws, run, health_url=url, smoke_ready_timeout_s=0.3)
    assert executions(aws, run.stack) == []
    assert desired(aws, run.stack) == (0, 0)


def test_failed_validation_fails_the_run(aws: LocalCloud) -> None:
    run = prepare(aws, PASS_DEFINITION)
    with (
        health_server() as url,
        pytest.raises(CloudError, match="failed validation"),
    ):
        start(aws, run, health_url=url, checklist=checklist_that(passed=False))
    assert "✗ Summary populated: stand-in" in run.output()
    assert desired(aws, run.stack) == (0, 0)


def test_a_failed_scale_down_is_loud(aws: LocalCloud) -> None:
    def lose_the_group(stack: DeployedStack) -> None:
        aws.client("autoscaling").delete_auto_scaling_group(
            AutoScalingGroupName=stack.asg, ForceDelete=True
        )

    run = prepare(aws, PASS_DEFINITION)

    with health_server() as url, pytest.raises(CloudError, match="SCALE-DOWN FAILED") as failed:
        start(aws, run, health_url=url, during_validation=lose_the_group)
    assert "to 0 by hand" in str(failed.value)


def test_wrong_account_changes_nothing(aws: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCOUNT_ID", "999999999999")
    run = prepare(aws, PASS_DEFINITION)
    with health_server() as url, pytest.raises(CloudError, match="belong to account 1234"):
        start(aws, run, health_url=url)
    assert "vLLM up" not in run.output()
    assert executions(aws, run.stack) == []


def test_missing_handle_is_named(aws: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTM_SSM_PREFIX", f"/empty-{uuid.uuid4().hex[:8]}/")
    with pytest.raises(SettingsError, match="STATE_MACHINE_ARN: missing"):
        load_settings(SmokeSettings)


def test_target_group_health_counts_healthy_targets(aws: LocalCloud) -> None:
    stack = deploy_fake_stack(aws, f"t{uuid.uuid4().hex[:8]}", PASS_DEFINITION)
    probe = TargetGroupHealth(aws.client("elbv2"), stack.target_group_arn)
    assert probe() == (False, "targets: none registered")
    ec2 = aws.client("ec2")
    instance = ec2.run_instances(ImageId=MOTO_AMI, MinCount=1, MaxCount=1)["Instances"][0]
    aws.client("elbv2").register_targets(
        TargetGroupArn=stack.target_group_arn, Targets=[{"Id": instance["InstanceId"]}]
    )
    healthy, status = probe()
    assert healthy, status
    assert status == "targets: 1 healthy"
