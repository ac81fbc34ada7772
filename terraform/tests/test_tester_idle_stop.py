"""The model-tester box stops itself when idle: its launch template turns a shutdown from
inside into a stop, and its user data installs `idle_stop.sh` with a timer. The script runs
here with stand-ins for the commands it asks (pgrep, docker, systemctl)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

TESTER = Path(__file__).resolve().parents[1] / "modules" / "tester"
SCRIPT = TESTER / "idle_stop.sh"
IDLE_MINUTES = 30


class Box:
    """A stand-in for the box: which SSM workers and containers run, its load, its clock."""

    def __init__(self, root: Path) -> None:
        self.root, self.bin = root, root / "bin"
        self.bin.mkdir()
        self.stamp = root / "run" / "last-busy"
        self.loadavg = root / "loadavg"
        self.powered_off = root / "powered-off"
        self.set(ssm_workers=False, containers="", load="0.02")
        self.stub("systemctl", f'[ "$1" = poweroff ] && touch "{self.powered_off}"')
        self.stub("logger", "true")

    def stub(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(0o755)

    def set(self, *, ssm_workers: bool, containers: str, load: str) -> None:
        self.stub("pgrep", "exit 0" if ssm_workers else "exit 1")
        self.stub("docker", f'[ "$1" = ps ] && printf "{containers}"')
        self.loadavg.write_text(f"{load} 0.10 0.10 1/200 4242\n")

    def idle_for(self, minutes: float) -> None:
        then = time.time() - minutes * 60
        os.utime(self.stamp, (then, then))

    def check(self) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "IDLE_MINUTES": str(IDLE_MINUTES),
            "IDLE_STAMP": str(self.stamp),
            "IDLE_LOADAVG": str(self.loadavg),
        }
        done = subprocess.run(
            [shutil.which("bash") or "bash", str(SCRIPT)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done


@pytest.fixture
def box(tmp_path: Path) -> Box:
    return Box(tmp_path)


def test_a_box_just_booted_counts_as_busy(box: Box) -> None:
    box.check()
    assert box.stamp.exists() and not box.powered_off.exists()


def test_idle_past_the_limit_powers_off(box: Box) -> None:
    box.check()
    box.idle_for(IDLE_MINUTES - 1)
    box.check()
    assert not box.powered_off.exists()
    box.idle_for(IDLE_MINUTES + 1)
    box.check()
    assert box.powered_off.exists()


@pytest.mark.parametrize(
    "busy",
    [
        {"ssm_workers": True, "containers": "", "load": "0.02"},
        {"ssm_workers": False, "containers": "3f2a1b\\n", "load": "0.02"},
        {"ssm_workers": False, "containers": "", "load": "1.50"},
    ],
    ids=["ssm command", "container", "cpu load"],
)
def test_work_resets_the_idle_clock(box: Box, busy: dict[str, Any]) -> None:
    box.check()
    box.idle_for(IDLE_MINUTES + 5)
    box.set(**busy)
    box.check()
    assert not box.powered_off.exists()
    assert time.time() - box.stamp.stat().st_mtime < 60


def test_the_launch_template_stops_a_box_that_shuts_down(modules: dict[str, Any]) -> None:
    tester = modules["tester"]
    template = tester["resource"]["aws_launch_template.tester"]
    assert template["instance_initiated_shutdown_behavior"] == "stop"
    assert 'file("${path.module}/idle_stop.sh")' in template["user_data"]
    assert "idle_minutes = var.idle_stop_minutes" in template["user_data"]
    assert tester["variable"]["idle_stop_minutes"]["default"] == IDLE_MINUTES


def test_the_user_data_installs_the_script_and_its_timer() -> None:
    """Rendered as terraform's templatefile does (only these two placeholders), it is valid
    bash that writes the script unchanged and enables the timer with the minutes."""
    template = (TESTER / "user_data.sh.tftpl").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", template)) == {"idle_stop_script", "idle_minutes"}
    script = SCRIPT.read_text().rstrip("\n")
    rendered = template.replace("${idle_stop_script}", script).replace("${idle_minutes}", "30")
    assert subprocess.run(["bash", "-n"], input=rendered, text=True, check=False).returncode == 0
    assert f"<<'SCRIPT'\n{script}\nSCRIPT\n" in rendered
    assert "Environment=IDLE_MINUTES=30\n" in rendered
    assert "systemctl enable --now ftm-idle-stop.timer" in rendered
    assert "OnUnitActiveSec=1min" in rendered
