"""The images workflow builds exactly the images deploy pushes, the same way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ftm_ops.cloud import images

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
