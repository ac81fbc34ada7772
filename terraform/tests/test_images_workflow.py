"""The images workflow builds exactly the images deploy pushes, the same way, and rebuilds
one whenever what its content tag hashes changes."""

from __future__ import annotations

import re
import subprocess
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml

from ftm_ops.cloud import images
from ftm_ops.cloud.build_context import DOCKERIGNORE, copy_sources, declared_args

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "images.yml"


def test_matrix_is_the_deployed_services_and_the_nox_services() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["changes"]["steps"]
    filters = yaml.safe_load(next(s for s in steps if s.get("id") == "filter")["with"]["filters"])
    deployed = images.discover_services(REPO)
    assert sorted(filters) == deployed
    noxfile = (REPO / "noxfile.py").read_text()
    assert sorted(re.findall(r'"services/([\w-]+)": "ftm-', noxfile)) == deployed


def test_workflow_builds_like_deploy() -> None:
    build = yaml.safe_load(WORKFLOW.read_text())["jobs"]["build"]
    step = next(s for s in build["steps"] if "build-push-action" in s.get("uses", ""))
    command = images.build_command("SERVICE", "URI", REPO).argv
    assert step["with"]["context"] == command[-1] == "."
    dockerfile = command[command.index("-f") + 1]
    assert step["with"]["file"].replace("${{ matrix.service }}", "SERVICE") == dockerfile


def build_steps() -> list[dict[str, Any]]:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"].values()
    return [
        step
        for job in jobs
        for step in job.get("steps", [])
        if "docker/build-push-action" in step.get("uses", "")
    ]


def test_every_workflow_build_is_for_the_clouds_cpu() -> None:
    steps = build_steps()
    assert steps
    for step in steps:
        assert step["with"].get("platforms") == images.PLATFORM, step.get("name")


@pytest.mark.parametrize("service", images.discover_services(REPO))
def test_a_services_filter_covers_everything_its_image_is_built_from(service: str) -> None:
    """What the content tag hashes (ftm_ops.cloud.build_context) rebuilds the image in CI."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["changes"]["steps"]
    filters = yaml.safe_load(next(s for s in steps if s.get("id") == "filter")["with"]["filters"])
    dockerfile = (REPO / images.dockerfile(service)).read_text()
    inputs = [images.dockerfile(service), DOCKERIGNORE]
    if declared_args(dockerfile) & set(images.read_pins(REPO)):
        inputs.append(images.PINS_FILE)
    for source in copy_sources(dockerfile):
        listed = subprocess.run(
            ["git", "ls-files", "--", source], cwd=REPO, capture_output=True, text=True, check=True
        )
        inputs += listed.stdout.split()
    uncovered = [f for f in inputs if not any(fnmatch(f, p) for p in filters[service])]
    assert not uncovered, f"{service}: add a filter for {uncovered}"
