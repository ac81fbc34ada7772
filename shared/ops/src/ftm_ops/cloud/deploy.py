"""`ftm cloud deploy`: verify the account, plan both stacks, confirm, apply, ship the images.

Order: find or create the terraform state bucket (`state_backend`), plan `foundation` and
`platform` (neither needs the other applied), ask, apply `foundation` (it owns the ECR
repositories), build and push every service image, apply `platform` (its job and task
definitions name those images). A dry run prints every command and runs only the read-only
ones (`init`, `plan`) where it can; it creates no state bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ftm_ops.cloud import images
from ftm_ops.cloud.commands import Command
from ftm_ops.cloud.cost import idle_cost
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.identity import cloud_client, verify_account
from ftm_ops.cloud.settings import DeploySettings
from ftm_ops.cloud.state_backend import StateBackend, prepare_state_bucket
from ftm_ops.cloud.terraform import Stack, stack_variables, stacks
from ftm_ops.quarter.projection import ProjectionSettings, describe, project


class CommandRunner(Protocol):
    dry_run: bool

    def run(self, command: Command, *, read_only: bool = False, capture: bool = False) -> str: ...


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
    # Each image's tag hashes what it is built from: an unchanged one is not pushed again.
    tags = {s: settings.image_tag or images.content_tag(s, repo_root) for s in services}
    registry = images.registry_host(settings.aws_account_id, settings.aws_region)
    uris = {s: images.image_uri(registry, settings.ftm_name, s, tags[s]) for s in services}
    echo("images: " + ", ".join(f"{s}:{tags[s]}" for s in services))

    plan_stacks = stacks(settings, repo_root, work_dir or repo_root / ".ftm" / "deploy")
    backend = StateBackend.from_settings(settings)
    for stack in plan_stacks:
        stack.write_var_file(stack_variables(stack.name, settings, services, uris))
        stack.write_backend_file(backend.config(stack.name))
    if not runner.dry_run:
        runner.run(Command(("docker", "info")), read_only=True, capture=True)
    if not verified:
        echo("plans skipped: the AWS identity is not verified")
    elif prepare_state_bucket(
        cloud_client("s3", settings),
        backend,
        settings.aws_account_id,
        dry_run=runner.dry_run,
        echo=echo,
    ):
        _plan(plan_stacks, runner, echo)

    projection = ProjectionSettings()
    echo(f"\n== a quarter on this deployment ({projection.vllm_instances} GPU instance(s))")
    echo(describe(project(projection, projection.vllm_instances), projection.projection_firms))
    echo(idle_cost(settings, cloud_client("ec2", settings) if verified else None).summary())
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
        if ecr and images.pushed(ecr, settings.ftm_name, service, tags[service]):
            echo(f"{uri} is already in ECR (its tag hashes what it is built from): not rebuilt")
            continue
        runner.run(images.build_command(service, uri, repo_root))
        runner.run(images.push_command(uri))
    echo("\n== apply: platform (network, IAM, Batch, ECS, Step Functions)")
    runner.run(platform.apply())
    echo(
        "\ndry run: nothing was applied or pushed"
        if runner.dry_run
        else f"\ndeployed {len(services)} images and both stacks to account "
        f"{settings.aws_account_id}; next: `nox -s cloud_smoke`"
    )
