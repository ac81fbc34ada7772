"""The service images: which exist, their ECR names, and the docker commands that ship them.

The list of services is the folders under `services/` with a Dockerfile: the same list the
images workflow builds and the storage module creates repositories for (a test holds the
three together).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from ftm_ops.cloud.commands import Command


def discover_services(repo_root: Path) -> list[str]:
    return sorted(path.parent.name for path in (repo_root / "services").glob("*/Dockerfile"))


def registry_host(account_id: str, region: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com"


def repository_name(name: str, service: str) -> str:
    """Must match `aws_ecr_repository.service` in terraform/modules/storage."""
    return f"{name}/{service}"


def image_uri(registry: str, name: str, service: str, tag: str) -> str:
    return f"{registry}/{repository_name(name, service)}:{tag}"


def build_command(service: str, uri: str, repo_root: Path) -> Command:
    """The same build as the images workflow: the repository root is the context."""
    return Command(
        ("docker", "build", "-f", f"services/{service}/Dockerfile", "-t", uri, "."),
        cwd=repo_root,
    )


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
