"""`ftm cloud ...`: verify the account, deploy, and run the cloud smoke."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from ftm_ops.cloud.commands import Runner
from ftm_ops.cloud.settings import CloudSettings, DeploySettings, SmokeSettings, WeightsSettings
from ftm_shared.config import load_settings
from ftm_shared.errors import InputError
from ftm_shared.layout import parse_quarters, validate_quarter


@click.group()
def cloud() -> None:
    """The AWS deployment: terraform stacks, images, and the automated cloud smoke."""


@cloud.command("whoami")
def whoami() -> None:
    """Show the AWS identity and check it is AWS_ACCOUNT_ID."""
    from ftm_ops.cloud.identity import verify_account

    click.echo(verify_account(load_settings(CloudSettings)).describe())


@cloud.command("preflight")
@click.option("--fix", is_flag=True, help="First create the missing service-linked roles.")
def preflight_command(fix: bool) -> None:
    """Check the account, quotas, Docker, terraform and the weights before a deploy; print the
    idle and the run's cost. Exit 2 when a check fails (each ✗ line names its fix)."""
    from ftm_ops.cloud.preflight import deploy_preflight
    from ftm_ops.quarter.projection import ProjectionSettings

    if not deploy_preflight(
        load_settings(DeploySettings), ProjectionSettings(), echo=click.echo, fix=fix
    ):
        sys.exit(2)


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
    """Preflight, then plan and apply the terraform stacks and push every image to ECR."""
    from ftm_ops.cloud.deploy import deploy
    from ftm_ops.cloud.preflight import deploy_preflight
    from ftm_ops.quarter.projection import ProjectionSettings

    settings = load_settings(DeploySettings)
    if not deploy_preflight(settings, ProjectionSettings(), echo=click.echo):
        if not dry_run:
            sys.exit(2)
        click.echo("(a dry run goes on: it changes nothing)")
    deploy(
        settings,
        repo_root.resolve(),
        Runner(click.echo, dry_run=dry_run),
        echo=click.echo,
        confirm=click.confirm,
        assume_yes=yes,
    )


@cloud.command("smoke")
@click.option("--quarter", help="One calendar quarter (default 2017Q1).")
@click.option(
    "--quarters",
    "spec",
    help="Several, in calendar order, one execution after another: 2017Q1..2017Q4 or "
    "2017Q1,2017Q3.",
)
@click.option("--yes", is_flag=True, help="Do not ask above COST_CONFIRM_ABOVE_USD.")
def smoke_command(quarter: str | None, spec: str | None, yes: bool) -> None:
    """Preflight, scale vLLM up, run the pipeline on Step Functions for each quarter in
    order (stopping at the first that fails), validate, always scale to zero."""
    from ftm_ops.cloud.preflight import smoke_preflight
    from ftm_ops.cloud.signals import Interrupted
    from ftm_ops.cloud.smoke import run_cloud_smoke

    if quarter and spec:
        raise click.UsageError("give one of --quarter 2017Q1 or --quarters 2017Q1..2017Q4")
    try:
        quarters = parse_quarters(spec) if spec else [validate_quarter(quarter or "2017Q1")]
    except InputError as error:
        hint = "--quarters" if spec else "--quarter"
        raise click.BadParameter(str(error), param_hint=hint) from None
    settings = load_settings(SmokeSettings)
    if not smoke_preflight(settings, echo=click.echo):
        click.echo("cloud smoke not started: nothing was scaled up")
        sys.exit(2)
    try:
        run_cloud_smoke(
            settings,
            quarters,
            echo=_echo_while_possible,
            confirm=(lambda _question: True) if yes else click.confirm,
        )
    except Interrupted as stopped:
        _echo_while_possible(f"cloud smoke {stopped}; the wind-down above says where vLLM is")
        sys.exit(stopped.exit_code)


def _echo_while_possible(line: str) -> None:
    """After SIGHUP the terminal is gone: losing the report must not stop the wind-down."""
    with contextlib.suppress(OSError):
        click.echo(line)


@cloud.command("upload-weights")
@click.option(
    "--from",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Model folder (config.json and weights); default: the Hugging Face cache's "
    "snapshot of VLLM_SERVED_MODEL.",
)
@click.option("--dry-run", is_flag=True, help="List what would be uploaded; upload nothing.")
def upload_weights_command(folder: Path | None, dry_run: bool) -> None:
    """Upload vLLM's weights to VLLM_MODEL_S3_URI (resumes: same-size files are skipped)."""
    from ftm_ops.cloud.identity import cloud_client, verify_account
    from ftm_ops.cloud.weights import cached_snapshot, hf_hub_cache, upload_weights

    settings = load_settings(WeightsSettings)
    click.echo(verify_account(settings).describe())
    source = folder or cached_snapshot(settings.vllm_served_model, hf_hub_cache())
    done = upload_weights(
        source,
        settings.vllm_model_s3_uri,
        cloud_client("s3", settings),
        click.echo,
        dry_run=dry_run,
    )
    click.echo(
        f"{'would upload' if dry_run else 'uploaded'} {done.files} files "
        f"({done.bytes / 1e9:.2f} GB), {done.skipped} already there: vLLM syncs "
        f"{settings.vllm_model_s3_uri} when its task starts"
    )
