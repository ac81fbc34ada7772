"""Stop signals during the cloud smoke: the run stops, the wind-down always completes.

Ctrl-C (SIGINT), a closed terminal (SIGHUP) and nox, CI or `kill` (SIGTERM) all mean "stop
now". The first of them raises `Interrupted` in the main thread, so the smoke's `finally`
runs; every later one, and any that arrives while the fleet is being scaled to zero, is only
noted: killing the wind-down half-way would leave GPUs billing. (nox sends SIGTERM right
after Ctrl-C; the noxfile's cloud_smoke session then waits for the process to finish.)
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; the process should exit with 128 + its number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class StopSignals:
    """Installed for the whole run: `shield()` marks the part that must not be interrupted."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.stopping = False
        self.shielded = False

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stopping or self.shielded:
            self.echo(f"{name} received: still scaling to zero, the run ends when that is done")
            return
        self.stopping = True
        raise Interrupted(signum)

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        if threading.current_thread() is not threading.main_thread():
            yield self  # signals reach only the main thread; nothing to install here
            return
        previous = {signum: signal.signal(signum, self._handle) for signum in STOP_SIGNALS}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @contextmanager
    def shield(self) -> Iterator[None]:
        self.shielded = True
        try:
            yield
        finally:
            self.shielded = False
