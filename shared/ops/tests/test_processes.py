"""Services run as their own processes (`ftm_ops.quarter.processes`): output streamed, the
process group stopped."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ftm_local.process import pid_alive
from ftm_ops.quarter.processes import run_service, stop_group, stream_lines

pytestmark = pytest.mark.unit


def test_a_service_run_keeps_its_output_and_exit_code() -> None:
    run = run_service("ftm_ops", "no-such-command")

    assert run.exit_code != 0
    assert "No such command" in run.output
    assert run.command[:3] == [sys.executable, "-m", "ftm_ops"]


def test_output_is_read_until_the_process_exits_not_until_its_children_do() -> None:
    # The child inherits the pipe and outlives the leader, as a stray Ray worker would.
    script = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "print('first line')\n"
        "print('no newline at the end', end='')\n"
    )
    leader = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True
    )
    lines: list[str] = []

    started = time.monotonic()
    try:
        stream_lines(leader, lines.append, timeout_s=20)
    finally:
        stop_group(leader, grace_s=1.0)

    assert lines == ["first line\n", "no newline at the end"]
    assert time.monotonic() - started < 10


def test_a_process_that_runs_past_the_timeout_is_reported() -> None:
    chatty = "import time\nwhile True:\n    print('still going', flush=True)\n    time.sleep(0.1)\n"
    process = subprocess.Popen(
        [sys.executable, "-c", chatty], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            stream_lines(process, lambda _line: None, timeout_s=1.5)
    finally:
        stop_group(process, grace_s=1.0)


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
