"""The service images: which exist, their ECR names, and the docker commands that ship them.

The list of services is the folders under `services/` with a Dockerfile: the same list the
images workflow builds and the storage module creates repositories for (a test holds the
three together).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from ftm_ops.cloud.commands import Command
from ftm_ops.cloud.errors import CloudError


def discover_services(repo_root: Path) -> list[str]:
    return sorted(path.parent.name for path in (repo_root / "services").glob("*/Dockerfile"))


def registry_host(account_id: str, region: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com"


def repository_name(name: str, service: str) -> str:
    """Must match `aws_ecr_repository.service` in terraform/modules/storage."""
    return f"{name}/{service}"


def image_uri(registry: str, name: str, service: str, tag: str) -> str:
    return f"{registry}/{repository_name(name, service)}:{tag}"


# Build arguments of the images deploy pushes, where they differ from the Dockerfile's
# defaults (which the images workflow builds). model-tester's image in ECR is the one the GPU
# box pulls, so it takes PyPI's torch wheel, the CUDA build, instead of the CPU default.
DEPLOY_BUILD_ARGS: dict[str, dict[str, str]] = {
    "model-tester": {"TORCH_INDEX_URL": "https://pypi.org/simple"},
}


PINS_FILE = "pins.env"
# What make, bash and $GITHUB_ENV all read the same way (tools/pins_file.py reads it alike).
PIN_LINE = re.compile(r"^(?P<key>[A-Z][A-Z0-9_]*)=(?P<value>[^\s\"'$#\\]+)$")


def read_pins(repo_root: Path) -> dict[str, str]:
    """The versions pinned in more than one file (pins.env: `KEY=value` lines), which every
    image build gets as build arguments."""
    path = repo_root / PINS_FILE
    if not path.is_file():
        raise CloudError(f"{path} is missing: the images are built from a checkout of ftm")
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = PIN_LINE.match(line)
        if found is None:
            raise CloudError(f"{path}:{number}: not a plain KEY=value line: {raw!r}")
        pins[found["key"]] = found["value"]
    return pins


def build_command(service: str, uri: str, repo_root: Path) -> Command:
    """The images workflow's build (the repository root is the context, every pinned version a
    build argument), with deploy's own build arguments."""
    build_args = {**read_pins(repo_root), **DEPLOY_BUILD_ARGS.get(service, {})}
    flags = [
        arg for key in sorted(build_args) for arg in ("--build-arg", f"{key}={build_args[key]}")
    ]
    return Command(
        ("docker", "build", "-f", f"services/{service}/Dockerfile", *flags, "-t", uri, "."),
        cwd=repo_root,
    )


def pushed(ecr: Any, name: str, service: str, tag: str) -> bool:
    """Is `tag` already in the service's repository? Tags are immutable and name a commit, so
    re-deploying an unchanged commit skips the image instead of failing at `docker push`."""
    try:
        ecr.describe_images(
            repositoryName=repository_name(name, service), imageIds=[{"imageTag": tag}]
        )
    except (ecr.exceptions.ImageNotFoundException, ecr.exceptions.RepositoryNotFoundException):
        return False
    return True


def push_command(uri: str) -> Command:
    return Command(("docker", "push", uri))


def ecr_login_command(ecr: Any) -> Command:
    """`docker login` with a token from ECR through boto3; the password goes in on stdin."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    registry = data["proxyEndpoint"].removeprefix("https://")
    return Command(
        ("docker", "login", "--username", user, "--password-stdin", registry),
        stdin=password,
    )


def ecr_login_placeholder(registry: str) -> Command:
    """What a dry run shows instead of fetching a token."""
    return Command(
        ("docker", "login", "--username", "AWS", "--password-stdin", registry),
        stdin="<token from ecr.get_authorization_token()>",
    )
