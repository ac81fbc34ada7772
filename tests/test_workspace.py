"""Each member installs and tests alone: what a member's tests may depend on, and where the
tests of an `ftm` command live (docs/contributing.md, "How the code is laid out")."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
WORKSPACE = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
MEMBERS = sorted(
    path for pattern in WORKSPACE["members"] for path in REPO.glob(pattern) if path.is_dir()
)
OPS = REPO / "shared" / "ops"
# The operator's command and what it installs (Great Expectations, polars, the AWS deploy).
OPS_IMPORT = re.compile(r"^\s*(from|import) ftm_ops\b|run_module\(\s*\"ftm_ops\"", re.MULTILINE)


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0] for requirement in requirements}


def _project(member: Path) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((member / "pyproject.toml").read_text())


@pytest.mark.parametrize("member", [m for m in MEMBERS if m != OPS], ids=lambda m: m.name)
def test_no_member_but_ops_needs_ops_to_run_or_test(member: Path) -> None:
    project = _project(member)
    dev = project.get("dependency-groups", {}).get("dev", [])
    runtime = project["project"].get("dependencies", [])
    assert "ftm-ops" not in _requirement_names(dev + runtime)


@pytest.mark.parametrize("member", [m for m in MEMBERS if m != OPS], ids=lambda m: m.name)
def test_the_tests_of_an_ftm_command_live_in_ops(member: Path) -> None:
    using_ops = [
        path.relative_to(REPO).as_posix()
        for path in sorted((member / "tests").rglob("*.py"))
        if OPS_IMPORT.search(path.read_text())
    ]
    assert using_ops == []


def test_the_test_fixtures_are_the_local_clouds_plugin() -> None:
    entry_points = {
        member.name: _project(member)["project"].get("entry-points", {}).get("pytest11", {})
        for member in MEMBERS
    }
    assert {name: points for name, points in entry_points.items() if points} == {
        "local": {"ftm_local": "ftm_local.testing"}
    }


def test_the_python_services_dockerfiles_are_the_templates() -> None:
    spec = importlib.util.spec_from_file_location("dockerfiles", REPO / "tools" / "dockerfiles.py")
    assert spec is not None and spec.loader is not None
    dockerfiles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dockerfiles)

    assert dockerfiles.stale() == [], "run `python tools/dockerfiles.py` and commit the result"
    # uv reads the whole workspace: an image that lacks a member's pyproject fails to build.
    copied = dockerfiles.render("map-worker")
    members = [member.relative_to(REPO).as_posix() for member in MEMBERS]
    assert [m for m in members if f"COPY {m}/pyproject.toml {m}/\n" not in copied] == []
