"""Elapsed-time formatting and polling shared by the cloud smoke's waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ftm_ops.cloud.errors import CloudError

T = TypeVar("T")


def elapsed(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


@dataclass
class Poller:
    """Calls `check` until it returns a value, echoing its status line with the elapsed time."""

    echo: Callable[[str], None]
    poll_s: float
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = field(default=time.monotonic)

    def until(self, what: str, check: Callable[[], tuple[T | None, str]], timeout_s: float) -> T:
        started = self.now()
        while True:
            result, status = check()
            self.echo(f"  {what}: {status} ({elapsed(self.now() - started)})")
            if result is not None:
                return result
            if self.now() - started >= timeout_s:
                raise CloudError(f"{what}: not done after {elapsed(timeout_s)} ({status})")
            self.sleep(self.poll_s)
