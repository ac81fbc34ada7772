from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ftm_shared.local.process import pid_alive
from ftm_shared.smoke.stages import run_service, stop_group

pytestmark = pytest.mark.unit


def test_a_service_run_keeps_its_output_and_exit_code() -> None:
    run = run_service("ftm_shared", "no-such-command")

    assert run.exit_code != 0
    assert "No such command" in run.output
    assert run.command[:3] == [sys.executable, "-m", "ftm_shared"]


def test_stopping_a_stage_also_stops_the_processes_it_started() -> None:
    # A leader that ignores SIGINT and a child of its own, as a stuck Ray driver would leave.
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    leader = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert leader.stdout is not None
    child_pid = int(leader.stdout.readline())

    started = time.monotonic()
    stop_group(leader, grace_s=1.0)

    assert leader.poll() is not None
    time.sleep(0.2)
    assert not pid_alive(child_pid) or _is_zombie(child_pid)
    assert time.monotonic() - started < 10


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except FileNotFoundError:
        return True
