"""terraform's state (it can hold secrets), lock and provider files never get committed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
GENERATED = [
    "terraform/stacks/platform/terraform.tfstate",
    "terraform/stacks/platform/terraform.tfstate.backup",
    "terraform/stacks/foundation/.terraform.tfstate.lock.info",
    "terraform/stacks/foundation/.terraform.lock.hcl",
    "terraform/stacks/foundation/.terraform/providers/registry.terraform.io/x",
    ".ftm/deploy/platform.tfplan",
]


@pytest.mark.parametrize("path", GENERATED)
def test_terraform_files_are_ignored(path: str) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=REPO, check=False
    )
    assert checked.returncode == 0, f"{path} is not git-ignored"
