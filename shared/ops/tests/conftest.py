"""The deployed platform as the cloud smoke sees it, made in moto: what terraform's platform
stack leaves behind (ASG, ECS service, target group, log groups, state machine) and the SSM
handles it writes, plus a stand-in for vLLM's `/health`."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pyarrow as pa
import pytest

from ftm_local.cloud import LocalCloud
from ftm_shared import layout, runs, schemas
from ftm_shared.storage import ObjectStore

ACCOUNT = "123456789012"  # moto's account
MOTO_AMI = "ami-12c6146b"  # one of moto's built-in images (listing them all is slow)
# vLLM's access-log line for one request, as the awslogs driver ships it.
VLLM_REQUEST_LINE = 'INFO:     10.0.1.7:51234 - "POST /v1/chat/completions HTTP/1.1" 200 OK'

DEFINITIONS: dict[str, dict[str, Any]] = {
    "pass": {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Pass", "Next": "Done"}, "Done": {"Type": "Succeed"}},
    },
    # Long enough for a stand-in job to write its log lines while the execution runs.
    "a_few_seconds": {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Wait", "Seconds": 3, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    },
    "fail": {
        "StartAt": "MapFailed",
        "States": {
            "MapFailed": {
                "Type": "Fail",
                "Error": "MapFailed",
                "Cause": "failures manifest: s3://b/progress/2017Q1/x_failures.json",
            }
        },
    },
    "slow": {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 600, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    },
}


@dataclass(frozen=True)
class DeployedStack:
    asg: str
    cluster: str
    service: str
    target_group_arn: str
    state_machine_arn: str
    vllm_log_group: str
    jobs_log_group: str


@dataclass
class FakeAws:
    """The local cloud, seen the way an operator's shell sees AWS after `nox -s deploy`.

    (Test modules reach these helpers through the `aws` fixture: with pytest's importlib
    import mode a conftest is not importable.)"""

    cloud: LocalCloud
    moto_ami = MOTO_AMI
    vllm_request_line = VLLM_REQUEST_LINE

    def deploy(
        self, definition: str, *, max_instances: int = 2, lifetime_h: float = 6
    ) -> DeployedStack:
        name = f"t{uuid.uuid4().hex[:8]}"
        cloud = self.cloud
        ec2, asg, ecs = cloud.client("ec2"), cloud.client("autoscaling"), cloud.client("ecs")
        template = ec2.create_launch_template(
            LaunchTemplateName=f"{name}-gpu", LaunchTemplateData={"ImageId": MOTO_AMI}
        )["LaunchTemplate"]["LaunchTemplateId"]
        asg.create_auto_scaling_group(
            AutoScalingGroupName=f"{name}-gpu",
            LaunchTemplate={"LaunchTemplateId": template},
            MinSize=0,
            MaxSize=max_instances,
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
            definition=json.dumps(DEFINITIONS[definition]),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}-step-functions",
        )["stateMachineArn"]
        logs = cloud.client("logs")
        for group in (f"/ecs/{name}-vllm", f"/aws/batch/{name}"):
            logs.create_log_group(logGroupName=group)
        stack = DeployedStack(
            f"{name}-gpu",
            f"{name}-vllm",
            f"{name}-vllm",
            target_group,
            machine,
            f"/ecs/{name}-vllm",
            f"/aws/batch/{name}",
        )
        handles = {
            "vllm_asg_name": stack.asg,
            "vllm_cluster": stack.cluster,
            "vllm_service": stack.service,
            "vllm_target_group_arn": stack.target_group_arn,
            "state_machine_arn": stack.state_machine_arn,
            "vllm_log_group": stack.vllm_log_group,
            "jobs_log_group": stack.jobs_log_group,
            "vllm_max_lifetime_h": str(lifetime_h),
        }
        ssm = cloud.client("ssm")
        for key, value in handles.items():
            ssm.put_parameter(
                Name=f"{cloud.ssm_prefix}{key}", Value=value, Type="String", Overwrite=True
            )
        return stack

    def desired(self, stack: DeployedStack) -> tuple[int, int]:
        group = self.cloud.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[stack.asg]
        )["AutoScalingGroups"][0]
        service = self.cloud.client("ecs").describe_services(
            cluster=stack.cluster, services=[stack.service]
        )["services"][0]
        return group["DesiredCapacity"], service["desiredCount"]

    def executions(self, stack: DeployedStack) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.cloud.client("stepfunctions").list_executions(
            stateMachineArn=stack.state_machine_arn
        )["executions"]
        return found

    def wait_for_running_execution(self, stack: DeployedStack, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(e["status"] == "RUNNING" for e in self.executions(stack)):
            assert time.monotonic() < deadline, "no execution started"
            time.sleep(0.05)

    def log(self, group: str, stream: str, *messages: str) -> None:
        """Log lines written now, as the awslogs driver ships them."""
        logs = self.cloud.client("logs")
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        now = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": message} for message in messages],
        )


@pytest.fixture
def aws(local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> FakeAws:
    """moto with Step Functions executions really run, and the smoke's settings from SSM."""
    httpx.post(
        f"{local_cloud.endpoint_url}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
    ).raise_for_status()
    monkeypatch.setenv("AWS_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("FTM_USE_SSM", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("VLLM_HEALTH_URL", raising=False)
    return FakeAws(local_cloud)


def serve_health(status: int) -> Iterator[str]:
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


@pytest.fixture
def health_url() -> Iterator[str]:
    yield from serve_health(200)


@pytest.fixture
def unhealthy_url() -> Iterator[str]:
    yield from serve_health(503)


# Reduced quarters written by hand into a bucket, as the export and panel tests read them.
DAY = {"2017Q1": dt.date(2017, 2, 1), "2017Q2": dt.date(2017, 5, 1)}


def firm(firm_id: str, quarter: str) -> dict[str, object]:
    return {
        "firm_id": firm_id,
        "firm_name": f"{firm_id} Inc.",
        "permno": 10000 + int(firm_id[1:]),
        "gvkey": f"00{firm_id[1:]}",
        "earnings_call_date": DAY[quarter],
    }


def put_quarter(
    store: ObjectStore,
    quarter: str,
    firms: list[str],
    themes: dict[str, list[str]],
    *,
    lineage: list[tuple[str | None, str | None, float | None, str]] | None = None,
    exposure: dict[tuple[str, str], float] | None = None,
) -> str:
    """A reduced run of `quarter` whose theme t has one topic of each firm in themes[t]."""
    run_id = f"run-{quarter}"
    calls = pa.Table.from_pylist([firm(f, quarter) for f in firms])
    store.write_parquet(layout.published_firm_topics_key(quarter), calls)
    store.write_parquet(
        layout.run_themes_key(quarter, run_id),
        pa.Table.from_pylist(
            [
                {"theme_id": t, "name": f"Name of {t}", "description": f"About {t}.",
                 "naming_method": "llm",
                 "n_firms": len(members), "n_topics": len(members), "keywords": [t, "growth"]}
                for t, members in themes.items()
            ],
            schema=schemas.THEMES,
        ),
    )  # fmt: skip
    members = [(t, f, n) for t, fs in themes.items() for n, f in enumerate(fs)]
    store.write_parquet(
        layout.run_theme_contributions_key(quarter, run_id),
        pa.Table.from_pylist(
            [{"theme_id": t, **firm(f, quarter), "topic_id": n, "similarity": 0.9}
             for t, f, n in members],
            schema=schemas.THEME_CONTRIBUTIONS,
        ),
    )  # fmt: skip
    store.write_parquet(
        layout.run_theme_quotes_key(quarter, run_id),
        pa.Table.from_pylist(
            [{"theme_id": t, "rank": 1, **firm(fs[0], quarter), "topic_id": 0,
              "similarity": 0.9, "text": f"{fs[0]} said something about {t}."}
             for t, fs in themes.items()],
            schema=schemas.THEME_QUOTES,
        ),
    )  # fmt: skip
    if lineage is not None:
        store.write_parquet(
            layout.run_theme_lineage_key(quarter, run_id),
            pa.Table.from_pylist(
                [{"quarter": quarter, "theme_id": now, "previous_quarter": "2017Q1",
                  "previous_run_id": "run-2017Q1", "previous_theme_id": before,
                  "similarity": similarity, "status": status}
                 for before, now, similarity, status in lineage],
                schema=schemas.THEME_LINEAGE,
            ),
        )  # fmt: skip
    if exposure is not None:
        store.write_parquet(
            layout.run_exposure_key(quarter, run_id),
            pa.Table.from_pylist(
                [{**firm(f, quarter), "call_id": f"{f}-{quarter}", "quarter": quarter,
                  "theme_id": t, "exposure": share, "n_sentences": 10, "risk_exposure": 0.1,
                  "sentiment": 0.0}
                 for (f, t), share in exposure.items()],
                schema=schemas.FIRM_THEME_EXPOSURE,
            ),
        )  # fmt: skip
    runs.set_current(store, quarter, run_id)
    return run_id


@pytest.fixture
def reduced_quarter() -> Callable[..., str]:
    """`put_quarter`: a reduced run of a quarter written by hand (see its docstring)."""
    return put_quarter
