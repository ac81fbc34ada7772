"""`ftm cloud ...`: verify the account, deploy, and run the cloud smoke."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from ftm_ops.cloud.commands import Runner
from ftm_ops.cloud.settings import CloudSettings, DeploySettings, SmokeSettings
from ftm_shared.config import load_settings
from ftm_shared.errors import InputError
from ftm_shared.layout import validate_quarter


@click.group()
def cloud() -> None:
    """The AWS deployment: terraform stacks, images, and the automated cloud smoke."""


@cloud.command("whoami")
def whoami() -> None:
    """Show the AWS identity and check it is AWS_ACCOUNT_ID."""
    from ftm_ops.cloud.identity import verify_account

    click.echo(verify_account(load_settings(CloudSettings)).describe())


@cloud.command("deploy")
@click.option("--dry-run", is_flag=True, help="Print every command and the plans; change nothing.")
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.option(
    "--repo-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path(),
    show_default=True,
    help="The repository (Dockerfiles and terraform/).",
)
def deploy_command(dry_run: bool, yes: bool, repo_root: Path) -> None:
    """Plan and apply the terraform stacks and push every service image to ECR."""
    from ftm_ops.cloud.deploy import deploy

    deploy(
        load_settings(DeploySettings),
        repo_root.resolve(),
        Runner(click.echo, dry_run=dry_run),
        echo=click.echo,
        confirm=click.confirm,
        assume_yes=yes,
    )


@cloud.command("smoke")
@click.option("--quarter", default="2017Q1", show_default=True)
def smoke_command(quarter: str) -> None:
    """Scale vLLM up, run the pipeline on Step Functions, validate, always scale to zero."""
    from ftm_ops.cloud.signals import Interrupted
    from ftm_ops.cloud.smoke import run_cloud_smoke

    try:
        validate_quarter(quarter)
    except InputError as error:
        raise click.BadParameter(str(error), param_hint="--quarter") from None
    try:
        run_cloud_smoke(load_settings(SmokeSettings), quarter, echo=_echo_while_possible)
    except Interrupted as stopped:
        _echo_while_possible(f"cloud smoke {stopped}; the wind-down above says where vLLM is")
        sys.exit(stopped.exit_code)


def _echo_while_possible(line: str) -> None:
    """After SIGHUP the terminal is gone: losing the report must not stop the wind-down."""
    with contextlib.suppress(OSError):
        click.echo(line)
