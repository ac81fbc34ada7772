"""What produced a result: library versions and the code's git commit."""

from __future__ import annotations

import os
import subprocess
from importlib import metadata

LIBRARIES = ("torch", "transformers", "peft", "accelerate", "ftm-model-tester", "ftm-shared")


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
    if os.environ.get("GIT_COMMIT"):
        return os.environ["GIT_COMMIT"]
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() or "unknown"
