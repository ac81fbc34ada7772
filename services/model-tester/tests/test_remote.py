"""`model-tester remote` against the moto server's EC2, SSM and S3 (moto runs no command: its
invocations end Success with empty output); the polling logic also against a failing fake.

moto runs no SSM agent and does not serve DescribeInstanceInformation (moto 5.2.5: "not
implemented"), so on the moto server the agents' registration is answered by a stand-in at
botocore's boundary (`agents`), and the waiter's own logic is tested against a fake client
shaped like boto3's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.handlers
import pytest
from botocore.awsrequest import AWSResponse

from ftm_local.cloud import LocalCloud
from ftm_shared.storage import ObjectStore
from model_tester.adapters import upload_adapter
from model_tester.remote import Instance, RemoteError, wait_for, wait_for_agent

Cli = Callable[..., tuple[int, str, str]]
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ftm/model-tester:test"


@pytest.fixture
def agents(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """SSM's view of the instances' agents: every new boto3 client answers
    DescribeInstanceInformation from this (instance id -> PingStatus), unlisted ones being not
    registered, as SSM does; moto serves every other call."""
    status: dict[str, str] = {}

    def describe_instance_information(
        params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]]:
        asked = json.loads(params["body"])["Filters"]
        ids = [i for f in asked if f["Key"] == "InstanceIds" for i in f["Values"] if i in status]
        found = [{"InstanceId": i, "PingStatus": status[i]} for i in ids]
        return AWSResponse("", 200, {}, None), {"InstanceInformationList": found}

    handler = ("before-call.ssm.DescribeInstanceInformation", describe_instance_information)
    monkeypatch.setattr(
        botocore.handlers, "BUILTIN_HANDLERS", [*botocore.handlers.BUILTIN_HANDLERS, handler]
    )
    return status


@pytest.fixture
def box(local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch, agents: dict[str, str]) -> str:
    """A stopped instance tagged for this test, its SSM agent online once it runs; the env
    points `remote` at it by tag."""
    ec2 = local_cloud.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    name = f"ftm-gpu-{uuid.uuid4().hex[:8]}"
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="g5.xlarge",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance])
    agents[instance] = "Online"
    monkeypatch.setenv("REMOTE_INSTANCE_TAG", f"Name={name}")
    monkeypatch.setenv("REMOTE_IMAGE", IMAGE)
    monkeypatch.setenv("REMOTE_POLL_S", "0.2")
    return str(instance)


@pytest.fixture
def adapters(store: ObjectStore, tmp_path: Path) -> list[str]:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "adapter_config.json").write_text("{}")
    stamps = ["20261101-080000", "20261120-120000"]
    for stamp in stamps:
        upload_adapter(store, "medical-extraction", stamp, tmp_path / "a")
    return stamps


def _state(local_cloud: LocalCloud, instance: str) -> str:
    reservations = local_cloud.client("ec2").describe_instances(InstanceIds=[instance])
    return str(reservations["Reservations"][0]["Instances"][0]["State"]["Name"])


def _sent_commands(local_cloud: LocalCloud, instance: str) -> list[str]:
    listed = local_cloud.client("ssm").list_commands(InstanceId=instance)["Commands"]
    return [c["Parameters"]["commands"][0] for c in listed]


@pytest.mark.integration
def test_list_prints_the_docker_command_for_the_newest_adapter(
    box: str, adapters: list[str], local_cloud: LocalCloud, cli: Cli
) -> None:
    code, out, err = cli("remote", "test", "--sample-index", "1", "--list")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "adapters (newest first): 20261120-120000, 20261101-080000"
    assert lines[1].startswith("docker run --rm --gpus all -e S3_BUCKET=" + local_cloud.bucket)
    assert lines[1].endswith(
        f"--entrypoint python {IMAGE} -m model_tester test --timestamp 20261120-120000 "
        "--sample-index 1"
    )
    assert _sent_commands(local_cloud, box) == []


@pytest.mark.integration
def test_stopped_instance_is_refused_without_start(box: str, adapters: list[str], cli: Cli) -> None:
    code, _, err = cli("remote", "test", "--timestamp", adapters[0], "--input", "Timolol qAM OU")
    assert code == 2
    assert f"instance {box} is stopped; pass --start" in err


@pytest.mark.integration
def test_run_starts_the_box_sends_and_polls(
    box: str, adapters: list[str], local_cloud: LocalCloud, cli: Cli
) -> None:
    code, _, err = cli(
        "remote", "test", "--start", "--timestamp", adapters[0], "--input", "Timolol's qAM OU"
    )
    assert code == 0, err
    assert _state(local_cloud, box) == "running"
    assert "Success" in err
    [sent] = _sent_commands(local_cloud, box)
    assert f"test --timestamp {adapters[0]} --input 'Timolol'\"'\"'s qAM OU'" in sent


@pytest.mark.integration
def test_unknown_timestamp_is_refused_before_anything_is_sent(
    box: str, adapters: list[str], local_cloud: LocalCloud, cli: Cli
) -> None:
    code, _, err = cli("remote", "test", "--timestamp", "19990101-000000", "--sample-index", "0")
    assert code == 2 and "available (newest first): 20261120-120000" in err
    assert _sent_commands(local_cloud, box) == []


@pytest.mark.integration
def test_start_deploy_stop(box: str, local_cloud: LocalCloud, cli: Cli) -> None:
    code, out, _ = cli("remote", "start")
    assert code == 0 and f"{box} running, SSM agent online" in out
    assert _state(local_cloud, box) == "running"
    code, _, err = cli("remote", "deploy")
    assert code == 0, err
    [sent] = _sent_commands(local_cloud, box)
    assert sent == (
        "aws ecr get-login-password --region us-east-1 | docker login --username AWS "
        "--password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com && docker pull " + IMAGE
    )
    code, out, _ = cli("remote", "stop")
    assert code == 0 and f"{box} stopping (was running)" in out
    assert _state(local_cloud, box) in {"stopping", "stopped"}


@pytest.mark.integration
def test_instance_settings_are_required(
    local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    code, _, err = cli("remote", "start")
    assert code == 2 and "REMOTE_IMAGE: missing" in err
    monkeypatch.setenv("REMOTE_IMAGE", IMAGE)
    code, _, err = cli("remote", "start")
    assert code == 2 and "REMOTE_INSTANCE_ID or REMOTE_INSTANCE_TAG" in err


class _FakeSsm:
    """Answers get_command_invocation from a script of statuses."""

    class exceptions:  # noqa: N801 (boto3's attribute name)
        class InvocationDoesNotExist(Exception):  # noqa: N818 (boto3's name)
            pass

    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses

    def get_command_invocation(self, **_: Any) -> dict[str, Any]:
        status = self.statuses.pop(0)
        if status == "missing":
            raise self.exceptions.InvocationDoesNotExist
        return {
            "Status": status,
            "ResponseCode": 1 if status == "Failed" else -1,
            "StandardOutputContent": "",
            "StandardErrorContent": "CUDA out of memory" if status == "Failed" else "",
        }


BOX = Instance("i-0123", "running", "gpu")


@pytest.mark.unit
def test_polling_reports_progress_and_returns_a_failure() -> None:
    seen: list[str] = []
    clock = iter(float(t) for t in range(100))
    invocation = wait_for(
        _FakeSsm(["missing", "Pending", "InProgress", "Failed"]), "cmd-1", BOX,
        poll_s=5, timeout_s=60, report=lambda status, _: seen.append(status),
        sleep=lambda _: None, clock=lambda: next(clock),
    )  # fmt: skip
    assert seen == ["Pending", "Pending", "InProgress", "Failed"]
    assert not invocation.ok
    assert (invocation.response_code, invocation.stderr) == (1, "CUDA out of memory")


@pytest.mark.unit
def test_polling_gives_up_after_the_timeout() -> None:
    clock = iter([0.0, 30.0, 61.0])
    with pytest.raises(RemoteError, match="still InProgress after 60s"):
        wait_for(
            _FakeSsm(["InProgress"] * 3), "cmd-1", BOX,
            poll_s=5, timeout_s=60, report=lambda *_: None,
            sleep=lambda _: None, clock=lambda: next(clock),
        )  # fmt: skip


@pytest.mark.integration
def test_a_box_whose_agent_never_registers_is_named_with_the_likely_causes(
    box: str,
    agents: dict[str, str],
    local_cloud: LocalCloud,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    del agents[box]
    monkeypatch.setenv("REMOTE_START_TIMEOUT_S", "0.5")
    code, _, err = cli("remote", "deploy", "--start")
    assert code == 2
    assert f"the SSM agent of {box} is not registered after 0.5s (REMOTE_START_TIMEOUT_S)" in err
    assert "AmazonSSMManagedInstanceCore" in err and "ssmmessages" in err
    assert _sent_commands(local_cloud, box) == []


class _FakeAgents:
    """Answers describe_instance_information from a script of PingStatus values (None: the
    agent has not registered yet), shaped like boto3's SSM client."""

    class exceptions:  # noqa: N801 (boto3's attribute name)
        class ClientError(Exception):
            pass

    def __init__(self, statuses: list[str | None]) -> None:
        self.statuses = statuses
        self.asked: list[Any] = []

    def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs["Filters"])
        status = self.statuses.pop(0)
        found = [] if status is None else [{"InstanceId": BOX.instance_id, "PingStatus": status}]
        return {"InstanceInformationList": found}


@pytest.mark.unit
def test_the_agent_wait_ends_when_ssm_lists_the_box_online() -> None:
    ssm = _FakeAgents([None, "ConnectionLost", "Online"])
    slept: list[float] = []
    wait_for_agent(ssm, BOX, poll_s=5, timeout_s=60, sleep=slept.append, clock=lambda: 0.0)
    assert slept == [5, 5]
    assert ssm.asked[0] == [{"Key": "InstanceIds", "Values": ["i-0123"]}]


@pytest.mark.unit
def test_the_agent_wait_names_the_box_and_the_status_it_saw() -> None:
    clock = iter([0.0, 30.0, 61.0])
    with pytest.raises(RemoteError, match="the SSM agent of i-0123 is ConnectionLost after 60s"):
        wait_for_agent(
            _FakeAgents(["ConnectionLost"] * 3), BOX,
            poll_s=5, timeout_s=60, sleep=lambda _: None, clock=lambda: next(clock),
        )  # fmt: skip
