"""What produced a result: library versions and the code's git commit."""

from __future__ import annotations

import subprocess
from importlib import metadata

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_shared.config import read_settings

LIBRARIES = ("torch", "transformers", "peft", "accelerate", "ftm-model-tester", "ftm-shared")


class BuildStamp(BaseSettings):
    """What an image build writes into the environment."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    git_commit: str | None = Field(None, description="Commit the image was built from")


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str:
    """GIT_COMMIT (set when an image is built), else the checkout's HEAD, else "unknown"."""
    stamped = read_settings(BuildStamp).git_commit
    if stamped:
        return stamped
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() or "unknown"
