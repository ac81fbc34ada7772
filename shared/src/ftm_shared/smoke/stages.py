"""Run the smoke run's stages: timed, memory-sampled, each service as the process it is in AWS."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import click

from ftm_shared.smoke.memory import PeakMemory

T = TypeVar("T")
# Ray and torch shut down cleanly on SIGINT within seconds; past this the group is killed.
GRACE_S = 20.0


@dataclass
class StageLog:
    memory: PeakMemory
    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, action: Callable[[], T]) -> T:
        click.secho(f"\n== {name}", bold=True)
        self.memory.stage = name
        started = time.perf_counter()
        try:
            return action()
        finally:
            self.seconds[name] = time.perf_counter() - started
            self.memory.sample_now()


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


def run_service(module: str, *args: str) -> ServiceRun:
    """`python -m module args`, streamed to the terminal and kept for the checklist.

    Its own process group, so an interrupted smoke run can stop it and every process it
    started (Ray's raylet and workers) together.
    """
    command = [sys.executable, "-m", module, *args]
    click.echo(f"$ {module.replace('_', '-')} {' '.join(args)}")
    lines: list[str] = []
    with _process_group(command) as process:
        assert process.stdout is not None
        for line in process.stdout:
            click.echo(line, nl=False)
            lines.append(line)
        exit_code = process.wait()
    return ServiceRun(command, exit_code, "".join(lines))


@contextlib.contextmanager
def _process_group(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield process
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[str], grace_s: float = GRACE_S) -> None:
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
