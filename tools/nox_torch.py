"""How the nox sessions install torch, which the lock never holds (see the root pyproject).

Each member that needs torch pins it (`torch==...` in its own pyproject, held equal to
pins.env by tests/test_pins.py); a session installs that pin in a step of its own, with the
lock's versions of torch's dependencies as constraints, taking the build this machine needs.

noxfile.py imports this module (it puts this folder on sys.path); it needs only nox.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import nox

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def torch_requirement(member_dir: Path) -> str | None:
    """The member's own torch pin, if it declares one (the lock never holds torch)."""
    pyproject = tomllib.loads((member_dir / "pyproject.toml").read_text())
    for requirement in pyproject["project"].get("dependencies", []):
        if requirement.replace(" ", "").startswith("torch=="):
            return str(requirement).replace(" ", "")
    return None


def torch_source_args() -> list[str]:
    """Where torch comes from: a local wheel folder, else the CPU index, else PyPI (CUDA).

    A machine with pip find-links (PIP_FIND_LINKS) has its wheel there; a machine without an
    NVIDIA driver gets the CPU build (no multi-GB CUDA download); a GPU machine gets PyPI's
    default build. FTM_TORCH_INDEX_URL overrides the choice.
    """
    if os.environ.get("FTM_TORCH_INDEX_URL"):
        return ["--index-url", os.environ["FTM_TORCH_INDEX_URL"]]
    find_links = [p for p in os.environ.get("PIP_FIND_LINKS", "").split() if p]
    if find_links:
        return [arg for link in find_links for arg in ("--find-links", link)]
    if shutil.which("nvidia-smi") is None:
        return ["--index-url", TORCH_CPU_INDEX]
    return []


def install_torch(
    session: nox.Session, *, uv: str, root: Path, package: str, requirement: str
) -> None:
    """Install the pinned torch into the session's venv, with the lock's versions of its
    dependencies (those of workspace member `package`) as constraints."""
    constraints = Path(session.create_tmp()) / "constraints.txt"
    exported = subprocess.run(
        [
            uv,
            "export",
            "--frozen",
            "--package",
            package,
            "--no-hashes",
            "--no-emit-workspace",
            "--no-header",
            "--no-annotate",
            "--prune",
            "torch",
        ],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    constraints.write_text(exported)
    # --no-config: the workspace's override (which keeps torch out of the lock) must not
    # apply to this one install.
    session.run_install(
        uv,
        "pip",
        "install",
        "--no-config",
        "--python",
        session.virtualenv.location,
        requirement,
        "-c",
        str(constraints),
        *torch_source_args(),
        external=True,
    )
