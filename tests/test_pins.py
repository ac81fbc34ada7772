"""pins.env is the one source of the versions pinned in several files (uv, nox, torch).

A file that can read it (the Dockerfiles through build args, the Makefile, .ci/run, the
workflows, the noxfile, `ftm cloud deploy`) must not write a version itself; a file that
cannot (a pyproject's `torch==`, uv.lock, the docs, a Dockerfile's ARG default) must write the
same version. Change a version in pins.env and this test names every file still to change.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from ftm_ops.cloud import images

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
PINS_FILE = REPO / "pins.env"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DOCKERFILES = sorted((REPO / "services").glob("*/Dockerfile"))
# Files that read pins.env: a version written in them is drift waiting to happen.
READERS = {
    *(p.relative_to(REPO).as_posix() for p in WORKFLOWS + DOCKERFILES),
    "Makefile",
    ".ci/run",
    "noxfile.py",
}
# How files write each pin where they write it literally (a reference such as $(UV_VERSION),
# ${TORCH_VERSION} or ${{ env.UV_VERSION }} is not a version, and does not match).
VERSION = r"(?P<version>\d[\w.+!-]*)"
PATTERNS = {
    "UV_VERSION": [rf"\buv=={VERSION}", rf"astral-sh/uv:{VERSION}"],
    "NOX_VERSION": [rf"\bnox(?:\[uv\])?=={VERSION}"],
    "TORCH_VERSION": [
        rf"\btorch=={VERSION}",
        # uv.lock: the override and each member's requirement, and the package entry.
        rf'name = "torch", (?:marker = "[^"]*", )?specifier = "=={VERSION}"',
        rf'name = "torch"\nversion = "{VERSION}"',
    ],
}


def load_pins_file() -> ModuleType:
    """tools/pins_file.py, the noxfile's reader, imported as nox imports it."""
    spec = importlib.util.spec_from_file_location("pins_file", REPO / "tools" / "pins_file.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PINS: dict[str, str] = load_pins_file().read_pins(PINS_FILE)


def repository_files() -> list[Path]:
    """Every file git tracks or would track (build outputs and venvs are ignored)."""
    if shutil.which("git") and (REPO / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [REPO / name for name in sorted(set(listed.split("\0"))) if name]
    skipped = {".git", ".venv", ".nox", ".ftm", "node_modules", "__pycache__", ".terraform"}
    return [p for p in sorted(REPO.rglob("*")) if p.is_file() and not skipped & set(p.parts)]


def written_pins() -> list[tuple[str, int, str, str]]:
    """(file, line, pin, version) for every version a file writes itself."""
    found = []
    for path in repository_files():
        name = path.relative_to(REPO).as_posix()
        if name == "pins.env" or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for pin, patterns in PATTERNS.items():
            for pattern in patterns:
                for match in re.finditer(pattern, text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append((name, line, pin, match["version"]))
    return found


def test_pins_file_holds_the_pins_in_a_form_every_reader_reads_alike() -> None:
    assert {"UV_VERSION", "NOX_VERSION", "TORCH_VERSION"} <= set(PINS)
    # `ftm cloud deploy` has a reader of its own (the noxfile cannot import ftm_ops).
    assert images.read_pins(REPO) == PINS
    # bash, as .ci/run sources it.
    script = ". ./pins.env; " + "; ".join(f'printf "%s\\n" "${key}"' for key in sorted(PINS))
    bash = subprocess.run(
        ["bash", "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert bash.stdout.split("\n")[:-1] == [PINS[key] for key in sorted(PINS)]
    # make, as the Makefile includes it.
    if shutil.which("make"):
        makefile = "include pins.env\nall:\n" + "".join(
            f"\t@echo '$({key})'\n" for key in sorted(PINS)
        )
        make = subprocess.run(
            ["make", "-s", "-f", "-"],
            input=makefile,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        assert make.stdout.split("\n")[:-1] == [PINS[key] for key in sorted(PINS)]


def test_no_file_writes_a_version_other_than_pins_env() -> None:
    wrong = [
        f"{name}:{line}: {version} where pins.env has {pin}={PINS[pin]}"
        for name, line, pin, version in written_pins()
        if version != PINS[pin]
    ]
    assert not wrong, "\n".join(wrong)


def test_files_that_read_pins_env_write_no_version_themselves() -> None:
    # A Dockerfile's ARG default (for a bare `docker build`) is the one exception: checked below.
    copies = [
        f"{name}:{line}: {pin} written as {version}; take it from pins.env"
        for name, line, pin, version in written_pins()
        if name in READERS
    ]
    assert not copies, "\n".join(copies)


def test_the_members_torch_pins_and_the_lock_are_found() -> None:
    """The literal check above only holds files it finds: make sure it finds these."""
    torch = {name for name, _line, pin, _v in written_pins() if pin == "TORCH_VERSION"}
    pyprojects = {
        p.relative_to(REPO).as_posix()
        for p in REPO.glob("services/*/pyproject.toml")
        if "torch" in p.read_text()
    }
    assert pyprojects and pyprojects <= torch
    assert {"pyproject.toml", "uv.lock"} <= torch


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfiles_take_versions_as_build_args_defaulting_to_pins_env(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    defaults = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    for pin, default in defaults.items():
        if pin in PINS:
            assert default == PINS[pin], f"{dockerfile}: ARG {pin}={default}, pins.env {PINS[pin]}"
    if "astral-sh/uv:" in text:
        assert "FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv" in text
    # The lock never holds torch: a member that pins it needs the image's own torch step.
    pyproject = dockerfile.parent / "pyproject.toml"
    if "torch==" in text or (pyproject.is_file() and "torch==" in pyproject.read_text()):
        assert '"torch==${TORCH_VERSION}"' in text, f"{dockerfile}: no torch step"
        assert re.search(r"^ARG TORCH_VERSION$", text, re.MULTILINE), "not in the build stage"


def test_every_image_build_passes_the_pins_as_build_args() -> None:
    # ftm cloud deploy
    argv = images.build_command("SERVICE", "URI", REPO).argv
    for key, value in PINS.items():
        assert f"{key}={value}" in argv
    # nox -s build (the noxfile cannot be imported here: nox is not installed)
    assert "docker_build_args(read_pins(" in (REPO / "noxfile.py").read_text()
    # The workflows: every build and every uv from the pins step of its own job.
    for workflow in WORKFLOWS:
        for job_name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
            steps = job.get("steps", [])
            where = f"{workflow.name} job {job_name}"
            pins_steps = [i for i, s in enumerate(steps) if "pins.env" in s.get("run", "")]
            for index, step in enumerate(steps):
                uses = step.get("uses", "")
                if "astral-sh/setup-uv" in uses:
                    assert step["with"]["version"] == "${{ env.UV_VERSION }}", where
                    assert pins_steps and pins_steps[0] < index, where
                if "docker/build-push-action" in uses:
                    assert step["with"].get("build-args") == "${{ steps.pins.outputs.build_args }}"
                    assert any(steps[i].get("id") == "pins" for i in pins_steps), where
                    assert pins_steps[0] < index, where
                if "NOX_VERSION" in step.get("run", ""):
                    assert pins_steps and pins_steps[0] < index, where


def test_makefile_and_ci_entry_point_read_pins_env() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^include .*pins\.env$", makefile, re.MULTILINE)
    assert "$(UV_VERSION)" in makefile and "$(NOX_VERSION)" in makefile
    ci = (REPO / ".ci" / "run").read_text()
    assert ". ./pins.env" in ci and "${UV_VERSION}" in ci
