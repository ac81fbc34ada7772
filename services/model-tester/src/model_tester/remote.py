"""Run the tester on the EC2 GPU box through SSM: find and start the instance, send one shell
command (`docker run ... python -m model_tester ...`), poll it to the end, return its output.

Only boto3 calls, so the same code runs against AWS and against the local moto server.
"""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ftm_shared.aws import client_for
from ftm_shared.config import SettingsError, require_settings
from ftm_shared.storage import ObjectStore
from model_tester.adapters import AdapterVersion, find_adapter, list_adapters
from model_tester.config import ModelTesterSettings

log = logging.getLogger(__name__)
# SSM statuses after which a command will not change any more.
FINAL_STATUSES = {"Success", "Failed", "Cancelled", "TimedOut", "Cancelling", "Undeliverable"}
RUN_SHELL = "AWS-RunShellScript"
ONLINE = "Online"  # an SSM agent's PingStatus when it takes commands


class RemoteError(RuntimeError):
    """The instance or the remote command is not in the state needed; the message says why."""


@dataclass(frozen=True)
class Instance:
    instance_id: str
    state: str
    name: str


@dataclass(frozen=True)
class Invocation:
    command_id: str
    status: str
    response_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.status == "Success"


def _instance(raw: dict[str, Any]) -> Instance:
    tags = {t["Key"]: t["Value"] for t in raw.get("Tags", [])}
    return Instance(raw["InstanceId"], raw["State"]["Name"], tags.get("Name", ""))


def remote_image(settings: ModelTesterSettings) -> str:
    """REMOTE_IMAGE: every remote command needs it, the local ones do not."""
    require_settings(settings, "remote_image")
    return str(settings.remote_image)


def find_instance(ec2: Any, settings: ModelTesterSettings) -> Instance:
    """The one instance named by REMOTE_INSTANCE_ID, or by REMOTE_INSTANCE_TAG (Key=Value)."""
    if settings.remote_instance_id:
        selector = f"REMOTE_INSTANCE_ID={settings.remote_instance_id}"
        query: dict[str, Any] = {"InstanceIds": [settings.remote_instance_id]}
    elif settings.remote_instance_tag:
        key, _, value = settings.remote_instance_tag.partition("=")
        selector = f"REMOTE_INSTANCE_TAG={settings.remote_instance_tag}"
        query = {"Filters": [{"Name": f"tag:{key}", "Values": [value]}]}
    else:
        raise SettingsError(
            "REMOTE_INSTANCE_ID or REMOTE_INSTANCE_TAG (Key=Value) must be set to find the GPU box"
        )
    try:
        pages = list(ec2.get_paginator("describe_instances").paginate(**query))
    except ec2.exceptions.ClientError as error:
        raise RemoteError(f"no instance for {selector}: {error}") from None
    found = [
        _instance(raw)
        for page in pages
        for reservation in page["Reservations"]
        for raw in reservation["Instances"]
        if raw["State"]["Name"] != "terminated"
    ]
    if len(found) != 1:
        listing = ", ".join(f"{i.instance_id} ({i.state})" for i in found) or "none"
        raise RemoteError(f"{selector} must match exactly one live instance; found {listing}")
    return found[0]


def start_instance(ec2: Any, instance: Instance, wait_s: float) -> Instance:
    if instance.state == "running":
        return instance
    log.info("starting %s (%s), waiting up to %.0fs", instance.instance_id, instance.state, wait_s)
    ec2.start_instances(InstanceIds=[instance.instance_id])
    delay = 5
    ec2.get_waiter("instance_running").wait(
        InstanceIds=[instance.instance_id],
        WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(wait_s // delay))},
    )
    return Instance(instance.instance_id, "running", instance.name)


def stop_instance(ec2: Any, instance: Instance) -> None:
    if instance.state in {"stopped", "stopping"}:
        return
    ec2.stop_instances(InstanceIds=[instance.instance_id])


def stop_box(settings: ModelTesterSettings) -> Instance:
    """Stop the box; returns it as it was before."""
    ec2 = client_for("ec2", settings)
    instance = find_instance(ec2, settings)
    stop_instance(ec2, instance)
    return instance


def require_running(instance: Instance) -> None:
    if instance.state != "running":
        raise RemoteError(
            f"instance {instance.instance_id} is {instance.state}; pass --start, or run "
            "`model-tester remote start` first"
        )


def wait_for_agent(
    ssm: Any,
    instance: Instance,
    *,
    poll_s: float,
    timeout_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Until SSM lists the box's agent as Online. EC2 says "running" a minute or more before
    the agent has registered, and a command sent before that fails with InvalidInstanceId."""
    started = clock()
    while True:
        try:
            found = ssm.describe_instance_information(
                Filters=[{"Key": "InstanceIds", "Values": [instance.instance_id]}]
            )["InstanceInformationList"]
        except ssm.exceptions.ClientError as error:
            raise RemoteError(f"cannot ask SSM about {instance.instance_id}: {error}") from None
        status = str(found[0]["PingStatus"]) if found else "not registered"
        if status == ONLINE:
            return
        if clock() - started >= timeout_s:
            raise RemoteError(
                f"the SSM agent of {instance.instance_id} is {status} after {timeout_s:g}s "
                "(REMOTE_START_TIMEOUT_S). Likely: the box has no instance profile with "
                "AmazonSSMManagedInstanceCore (launch it from the model-tester launch "
                "template), or its subnet reaches no SSM endpoint (a NAT gateway, or the ssm, "
                "ssmmessages and ec2messages VPC endpoints); `aws ssm "
                "describe-instance-information` lists the agents SSM sees"
            )
        log.info("SSM agent of %s: %s", instance.instance_id, status)
        sleep(poll_s)


def running_instance(settings: ModelTesterSettings, start: bool) -> Instance:
    """The box, started first when `start`, once SSM can send it commands; a box that is not
    running is refused."""
    ec2 = client_for("ec2", settings)
    instance = find_instance(ec2, settings)
    if start:
        instance = start_instance(ec2, instance, settings.remote_start_timeout_s)
    require_running(instance)
    wait_for_agent(
        client_for("ssm", settings),
        instance,
        poll_s=settings.remote_poll_s,
        timeout_s=settings.remote_start_timeout_s,
    )
    return instance


def docker_command(settings: ModelTesterSettings, tester_args: Sequence[str]) -> str:
    """The shell line the box runs: the tester image on the GPU, settings passed as env."""
    env = {
        "S3_BUCKET": settings.s3_bucket,
        "S3_PREFIX": settings.s3_prefix,
        "AWS_REGION": settings.aws_region,
        "BASE_MODEL": settings.base_model,
    }
    words = ["docker", "run", "--rm", "--gpus", "all"]
    for key, value in env.items():
        words += ["-e", f"{key}={value}"]
    words += shlex.split(settings.remote_docker_args)
    words += ["--entrypoint", "python", remote_image(settings), "-m", "model_tester"]
    return shlex.join([*words, *tester_args])


@dataclass(frozen=True)
class RemoteTest:
    """`model-tester test` as the box runs it: the adapters seen, the one chosen, the command."""

    adapters: list[AdapterVersion]
    timestamp: str
    command: str


def remote_test(
    settings: ModelTesterSettings,
    store: ObjectStore,
    timestamp: str | None,
    sample_index: int | None,
    text: str | None,
) -> RemoteTest:
    """The docker command for one test of the adapter at `timestamp` (default: the newest);
    an unknown timestamp is refused here, before anything is sent."""
    adapters = list_adapters(store, settings.s3_prefix)
    chosen = find_adapter(store, settings.s3_prefix, timestamp).timestamp
    args = ["test", "--timestamp", chosen]
    args += (
        ["--sample-index", str(sample_index)]
        if sample_index is not None
        else ["--input", str(text)]
    )
    return RemoteTest(adapters, chosen, docker_command(settings, args))


def deploy_command(settings: ModelTesterSettings) -> str:
    """Pull the image on the box; an ECR image logs in to its registry first."""
    image = remote_image(settings)
    registry = image.split("/", 1)[0]
    pull = shlex.join(["docker", "pull", image])
    if ".dkr.ecr." not in registry:
        return pull
    region = registry.split(".dkr.ecr.", 1)[1].split(".", 1)[0]
    login = (
        f"aws ecr get-login-password --region {shlex.quote(region)} | "
        f"docker login --username AWS --password-stdin {shlex.quote(registry)}"
    )
    return f"{login} && {pull}"


def send(ssm: Any, instance: Instance, command: str, comment: str, timeout_s: float) -> str:
    response = ssm.send_command(
        InstanceIds=[instance.instance_id],
        DocumentName=RUN_SHELL,
        Comment=comment[:100],
        TimeoutSeconds=int(timeout_s),
        Parameters={"commands": [command], "executionTimeout": [str(int(timeout_s))]},
    )
    command_id: str = response["Command"]["CommandId"]
    return command_id


def wait_for(
    ssm: Any,
    command_id: str,
    instance: Instance,
    *,
    poll_s: float,
    timeout_s: float,
    report: Callable[[str, float], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Invocation:
    """Poll the invocation until it is final; `report(status, elapsed)` after every poll."""
    started = clock()
    while True:
        try:
            answer = ssm.get_command_invocation(
                CommandId=command_id, InstanceId=instance.instance_id
            )
            status = str(answer["Status"])
        except ssm.exceptions.InvocationDoesNotExist:
            # Right after send_command the invocation may not be registered yet.
            answer, status = {}, "Pending"
        elapsed = clock() - started
        report(status, elapsed)
        if status in FINAL_STATUSES:
            return Invocation(
                command_id=command_id,
                status=status,
                response_code=int(answer.get("ResponseCode", -1)),
                stdout=str(answer.get("StandardOutputContent", "")),
                stderr=str(answer.get("StandardErrorContent", "")),
            )
        if elapsed >= timeout_s:
            raise RemoteError(
                f"command {command_id} on {instance.instance_id} still {status} after "
                f"{timeout_s:.0f}s (REMOTE_TIMEOUT_S); it may still finish: "
                f"aws ssm get-command-invocation --command-id {command_id} "
                f"--instance-id {instance.instance_id}"
            )
        sleep(poll_s)


def run_on_box(
    settings: ModelTesterSettings,
    instance: Instance,
    command: str,
    comment: str,
    say: Callable[[str], None],
) -> Invocation:
    """Send `command`, poll it to the end (REMOTE_POLL_S, REMOTE_TIMEOUT_S), `say` progress."""
    ssm = client_for("ssm", settings)
    command_id = send(ssm, instance, command, comment, settings.remote_timeout_s)
    say(f"sent {command_id} to {instance.instance_id}; polling every {settings.remote_poll_s:.0f}s")
    return wait_for(
        ssm, command_id, instance,
        poll_s=settings.remote_poll_s, timeout_s=settings.remote_timeout_s,
        report=lambda status, elapsed: say(f"  {status:<11} {elapsed:6.0f}s"),
    )  # fmt: skip
