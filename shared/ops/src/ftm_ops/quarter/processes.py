"""A service run as its own process, as AWS Batch runs it: output streamed and kept, the whole
process group (Ray's processes too) stopped when it is done or interrupted."""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import click

from ftm_shared.parent import PARENT_PID_ENV

# Ray and torch shut down cleanly on SIGINT within seconds; past this the group is killed.
GRACE_S = 20.0
# Once a process has exited, its output is read until it has been quiet this long.
QUIET_AFTER_EXIT_S = 1.0


@dataclass(frozen=True)
class ServiceRun:
    command: list[str]
    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def line_starting(self, prefix: str) -> str | None:
        return next((ln for ln in self.output.splitlines() if ln.startswith(prefix)), None)


def run_service(module: str, *args: str, env: Mapping[str, str] | None = None) -> ServiceRun:
    """`python -m module args`, streamed to the terminal and kept for the checklist.

    Its environment is `env` (default: this process's); its own process group, so an
    interrupted smoke run can stop it and every process it started (Ray's raylet and workers)
    together.
    """
    command = [sys.executable, "-m", module, *args]
    click.echo(f"$ {module.replace('_', '-')} {' '.join(args)}")
    lines: list[str] = []

    def show(line: str) -> None:
        click.echo(line, nl=False)
        lines.append(line)

    with _process_group(command, os.environ if env is None else env) as process:
        stream_lines(process, show)
        exit_code = process.wait()
    return ServiceRun(command, exit_code, "".join(lines))


def stream_lines(
    process: subprocess.Popen[bytes], on_line: Callable[[str], None], timeout_s: float | None = None
) -> None:
    """Hand each line of `process`'s output to `on_line` until the process has exited.

    Reading to end-of-file is not enough: a process it started and left running (a Ray
    worker) keeps the pipe open, and the reader would wait for it forever. Raises
    `subprocess.TimeoutExpired` if the process runs past `timeout_s`.
    """
    assert process.stdout is not None
    fd = process.stdout.fileno()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(process.args, timeout_s or 0.0)
            exited = process.poll() is not None
            if not selector.select(timeout=QUIET_AFTER_EXIT_S if exited else 0.5):
                if exited:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            *lines, pending = (pending + decoder.decode(chunk)).split("\n")
            for line in lines:
                on_line(line + "\n")
    pending += decoder.decode(b"", final=True)
    if pending:
        on_line(pending)


@contextlib.contextmanager
def _process_group(command: list[str], env: Mapping[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # The stage ends with this process, even one killed with -9 (ftm_shared.parent).
        env={**env, "PYTHONUNBUFFERED": "1", PARENT_PID_ENV: str(os.getpid())},
    )
    try:
        yield process
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[Any], grace_s: float = GRACE_S) -> None:
    """SIGINT first (what Ctrl-C would send), then SIGKILL for whatever is left."""
    running = process.poll() is None
    for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGKILL, 5.0)) if running else ():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait_s)
            break
    # Children that outlived their leader (a Ray worker) are still in the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
