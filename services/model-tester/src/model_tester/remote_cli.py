"""`model-tester remote ...`: drive the tester on the EC2 GPU box from the operator's machine."""

from __future__ import annotations

import sys

import click

from ftm_shared.aws import client_for
from ftm_shared.config import load_settings
from ftm_shared.logs import configure_logging
from ftm_shared.storage import ObjectStore
from model_tester.adapters import find_adapter, list_adapters
from model_tester.config import RemoteSettings
from model_tester.remote import (
    Instance,
    Invocation,
    deploy_command,
    docker_command,
    find_instance,
    require_running,
    send,
    start_instance,
    stop_instance,
    wait_for,
)


@click.group("remote")
def remote_group() -> None:
    """Run the tester on the GPU box through SSM (REMOTE_INSTANCE_ID/TAG, REMOTE_IMAGE)."""


def _settings() -> RemoteSettings:
    settings = load_settings(RemoteSettings)
    configure_logging(settings.ftm_log_format)
    return settings


def _report(status: str, elapsed: float) -> None:
    click.echo(f"  {status:<11} {elapsed:6.0f}s", err=True)


def _run(settings: RemoteSettings, instance: Instance, command: str, comment: str) -> Invocation:
    ssm = client_for("ssm", settings)
    command_id = send(ssm, instance, command, comment, settings.remote_timeout_s)
    click.echo(f"sent {command_id} to {instance.instance_id}; polling every "
               f"{settings.remote_poll_s:.0f}s", err=True)  # fmt: skip
    invocation = wait_for(
        ssm, command_id, instance,
        poll_s=settings.remote_poll_s, timeout_s=settings.remote_timeout_s, report=_report,
    )  # fmt: skip
    if invocation.stdout:
        click.echo(invocation.stdout.rstrip("\n"))
    if invocation.stderr:
        click.echo(invocation.stderr.rstrip("\n"), err=True)
    return invocation


def _finish(invocation: Invocation) -> None:
    if not invocation.ok:
        click.echo(
            f"error: remote command {invocation.command_id} ended {invocation.status} "
            f"(exit code {invocation.response_code})",
            err=True,
        )
        sys.exit(1)


def _running(settings: RemoteSettings, start: bool) -> Instance:
    ec2 = client_for("ec2", settings)
    instance = find_instance(ec2, settings)
    if start:
        instance = start_instance(ec2, instance)
    require_running(instance)
    return instance


@remote_group.command("test")
@click.option("--timestamp", help="Adapter timestamp; default: the newest in the bucket.")
@click.option("--sample-index", type=click.IntRange(0, 2))
@click.option("--input", "text", help="Custom text to extract from.")
@click.option("--list", "list_only", is_flag=True, help="Print the docker command and exit.")
@click.option("--start", is_flag=True, help="Start the instance (and wait) if it is stopped.")
def remote_test(
    timestamp: str | None, sample_index: int | None, text: str | None, list_only: bool, start: bool
) -> None:
    """Run `model-tester test` on the box, print its output; exit 1 when it fails."""
    if (sample_index is None) == (text is None):
        raise click.UsageError("give exactly one of --sample-index and --input")
    settings = _settings()
    store = ObjectStore.from_settings(settings)
    versions = list_adapters(store, settings.s3_prefix)
    click.echo("adapters (newest first): " + (", ".join(v.timestamp for v in versions) or "none"))
    chosen = find_adapter(store, settings.s3_prefix, timestamp).timestamp
    args = ["test", "--timestamp", chosen]
    args += (
        ["--sample-index", str(sample_index)]
        if sample_index is not None
        else ["--input", str(text)]
    )
    command = docker_command(settings, args)
    if list_only:
        click.echo(command)
        return
    instance = _running(settings, start)
    _finish(_run(settings, instance, command, f"model-tester test {chosen}"))


@remote_group.command("deploy")
@click.option("--start", is_flag=True, help="Start the instance (and wait) if it is stopped.")
def remote_deploy(start: bool) -> None:
    """Pull REMOTE_IMAGE on the box (logging in to ECR first)."""
    settings = _settings()
    instance = _running(settings, start)
    _finish(_run(settings, instance, deploy_command(settings), "model-tester deploy"))


@remote_group.command("start")
def remote_start() -> None:
    """Start the box and wait until it runs."""
    settings = _settings()
    instance = _running(settings, start=True)
    click.echo(f"{instance.instance_id} running")


@remote_group.command("stop")
def remote_stop() -> None:
    """Stop the box (it costs nothing but its disk while stopped)."""
    settings = _settings()
    ec2 = client_for("ec2", settings)
    instance = find_instance(ec2, settings)
    stop_instance(ec2, instance)
    click.echo(f"{instance.instance_id} stopping (was {instance.state})")
