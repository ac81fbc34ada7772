"""`ftm cloud deploy`: verify the account, plan both stacks, confirm, apply, ship the images.

Order: plan `foundation` and `platform` (neither needs the other applied), ask, apply
`foundation` (it owns the ECR repositories), build and push every service image, apply
`platform` (its job and task definitions name those images). A dry run prints every command
and runs only the read-only ones (`init`, `plan`) where it can.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ftm_ops.cloud import images
from ftm_ops.cloud.commands import Command
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.identity import cloud_client, verify_account
from ftm_ops.cloud.settings import DeploySettings
from ftm_ops.cloud.terraform import Stack, stack_variables, stacks
from ftm_ops.quarter.projection import ProjectionSettings, describe, project


class CommandRunner(Protocol):
    dry_run: bool

    def run(self, command: Command, *, read_only: bool = False, capture: bool = False) -> str: ...


def default_image_tag(repo_root: Path) -> str:
    """The commit; a dirty tree gets a timestamp too, since ECR tags are immutable."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo_root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit, dirty = git("rev-parse", "--short=12", "HEAD"), git("status", "--porcelain")
    except (OSError, subprocess.CalledProcessError):
        raise CloudError("cannot read the git commit for the image tag: set IMAGE_TAG") from None
    return f"{commit}-dirty-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}" if dirty else commit


def _plan(plan_stacks: list[Stack], runner: CommandRunner, echo: Callable[[str], None]) -> bool:
    """Init and plan every stack; in a dry run, a failed init skips the plans with the reason."""
    for stack in plan_stacks:
        echo(f"\n== terraform: {stack.name} (init, plan)")
        try:
            runner.run(stack.init(), read_only=True, capture=runner.dry_run)
        except CloudError as error:
            if not runner.dry_run:
                raise
            echo(
                f"plan skipped: terraform init could not install the providers ({error}). "
                "A dry run needs registry.terraform.io (or a local provider directory, "
                "TERRAFORM_PLUGIN_DIR) and AWS credentials to plan; the commands above and "
                "below are what a deploy runs."
            )
            return False
        runner.run(stack.plan(), read_only=True)
    return True


def deploy(
    settings: DeploySettings,
    repo_root: Path,
    runner: CommandRunner,
    *,
    echo: Callable[[str], None],
    confirm: Callable[[str], bool],
    assume_yes: bool = False,
    work_dir: Path | None = None,
) -> None:
    echo("== AWS identity")
    verified = True
    try:
        echo(verify_account(settings).describe())
    except CloudError as error:
        if not runner.dry_run:
            raise
        verified = False
        echo(f"not verified: {error}\n(a dry run goes on: it changes nothing)")

    services = images.discover_services(repo_root)
    tag = settings.image_tag or default_image_tag(repo_root)
    registry = images.registry_host(settings.aws_account_id, settings.aws_region)
    uris = {s: images.image_uri(registry, settings.ftm_name, s, tag) for s in services}
    echo(f"services: {', '.join(services)}; image tag {tag}")

    plan_stacks = stacks(settings, repo_root, work_dir or repo_root / ".ftm" / "deploy")
    for stack in plan_stacks:
        stack.write_var_file(stack_variables(stack.name, settings, services, uris))
    if not runner.dry_run:
        runner.run(Command(("docker", "info")), read_only=True, capture=True)
    if verified:
        _plan(plan_stacks, runner, echo)
    else:
        echo("plans skipped: the AWS identity is not verified")

    projection = ProjectionSettings()
    echo(f"\n== a quarter on this deployment ({projection.vllm_instances} GPU instance(s))")
    echo(describe(project(projection, projection.vllm_instances), projection.projection_firms))
    if not runner.dry_run and not assume_yes and not confirm("Apply these plans?"):
        raise CloudError("deploy cancelled: nothing was applied")

    foundation, platform = plan_stacks
    echo("\n== apply: foundation (bucket, ECR repositories, SSM parameters)")
    runner.run(foundation.apply())
    echo("\n== images: build and push to ECR")
    ecr = cloud_client("ecr", settings) if verified else None
    login = images.ecr_login_command(ecr) if ecr and not runner.dry_run else None
    runner.run(login or images.ecr_login_placeholder(registry))
    for service, uri in uris.items():
        if ecr and images.pushed(ecr, settings.ftm_name, service, tag):
            echo(f"{uri} is already in ECR (tags are immutable and name the commit): not rebuilt")
            continue
        runner.run(images.build_command(service, uri, repo_root))
        runner.run(images.push_command(uri))
    echo("\n== apply: platform (network, IAM, Batch, ECS, Step Functions)")
    runner.run(platform.apply())
    echo(
        "\ndry run: nothing was applied or pushed"
        if runner.dry_run
        else f"\ndeployed {len(services)} images ({tag}) and both stacks to account "
        f"{settings.aws_account_id}; next: `nox -s cloud_smoke`"
    )
