"""The service images: which exist, their ECR names, and the docker commands that ship them.

The list of services is the folders under `services/` with a Dockerfile: the same list the
images workflow builds and the storage module creates repositories for (a test holds the
three together).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from ftm_ops.cloud.build_context import context_files, declared_args
from ftm_ops.cloud.commands import Command
from ftm_ops.cloud.errors import CloudError

# Fargate runs x86_64 tasks and the GPU hosts are x86_64: an image built on an arm64 laptop
# (Apple silicon) for its own CPU would not start there.
PLATFORM = "linux/amd64"


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


def dockerfile(service: str) -> str:
    return f"services/{service}/Dockerfile"


def build_args(service: str, repo_root: Path) -> dict[str, str]:
    """Every pinned version, with deploy's own build arguments for the service."""
    return {**read_pins(repo_root), **DEPLOY_BUILD_ARGS.get(service, {})}


def build_command(service: str, uri: str, repo_root: Path) -> Command:
    """The images workflow's build (the repository root is the context, every pinned version a
    build argument), for the cloud's CPU whatever this machine's, with deploy's own build
    arguments; `--load` puts the image where `docker push` takes it from."""
    args = build_args(service, repo_root)
    flags = [arg for key in sorted(args) for arg in ("--build-arg", f"{key}={args[key]}")]
    buildx = ("docker", "buildx", "build", "--platform", PLATFORM, "--load")
    return Command((*buildx, "-f", dockerfile(service), *flags, "-t", uri, "."), cwd=repo_root)


def content_tag(service: str, repo_root: Path) -> str:
    """The service's image tag: a hash of everything its build reads (the Dockerfile, the
    files its COPY lines take from the context, the build arguments it declares, the
    platform). An unchanged service keeps its tag in any tree, clean or not, so a deploy
    skips its image; a pin that no ARG of its Dockerfile names leaves it alone."""
    digest = hashlib.sha256()

    def add(*fields: str | bytes) -> None:
        for value in fields:
            digest.update(value if isinstance(value, bytes) else value.encode())
            digest.update(b"\0")

    path = repo_root / dockerfile(service)
    declared = declared_args(path.read_text(encoding="utf-8"))
    args = build_args(service, repo_root)
    add(PLATFORM, *(f"{key}={args[key]}" for key in sorted(args) if key in declared))
    for relative in [dockerfile(service), *context_files(repo_root, path)]:
        file = repo_root / relative
        # The executable bit travels into the image with the file.
        add(relative, "x" if file.stat().st_mode & 0o111 else "-", file.read_bytes())
    return f"src-{digest.hexdigest()[:20]}"


def pushed(ecr: Any, name: str, service: str, tag: str) -> bool:
    """Is `tag` already in the service's repository? Tags are immutable and name what the
    image is built from (`content_tag`), so re-deploying an unchanged service skips its image
    instead of building it and failing at `docker push`."""
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
