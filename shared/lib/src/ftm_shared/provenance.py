"""What produced a result: the code's commit and the installed versions of the libraries."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from importlib import metadata

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_shared.config import read_settings


class BuildStamp(BaseSettings):
    """What an image build writes into the environment."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    git_commit: str | None = Field(None, description="Commit the image was built from")


def git_commit() -> str | None:
    """GIT_COMMIT (set when an image is built), else the checkout's HEAD, else None."""
    stamped = read_settings(BuildStamp).git_commit
    if stamped:
        return stamped
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def installed_versions(names: Iterable[str]) -> dict[str, str]:
    """The installed version of each distribution; one that is not installed is left out."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
