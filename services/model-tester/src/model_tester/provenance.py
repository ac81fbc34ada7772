"""What produced a tester's result: the libraries it is judged with, and the code's commit."""

from __future__ import annotations

from ftm_shared import provenance

LIBRARIES = ("torch", "transformers", "peft", "accelerate", "ftm-model-tester", "ftm-shared")


def library_versions() -> dict[str, str]:
    return provenance.installed_versions(LIBRARIES)


def git_commit() -> str:
    return provenance.git_commit() or "unknown"
