"""Progress of long work as log lines: done/total, rate and ETA (readable in CloudWatch too)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta


class Progress:
    def __init__(self, what: str, total: int, logger: logging.Logger, every_s: float = 5.0):
        self.what, self.total, self.log, self.every_s = what, total, logger, every_s
        self.done = 0
        self.started = time.monotonic()
        self._last = 0.0

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if self.done >= self.total or now - self._last >= self.every_s:
            self._last = now
            self.log.info("%s%s", self.line(), f" — {note}" if note else "")

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else None
        eta = str(timedelta(seconds=round(left))) if left is not None else "?"
        percent = 100 * self.done / self.total if self.total else 100
        return (
            f"{self.what}: {self.done}/{self.total} ({percent:.0f}%), "
            f"{rate * 60:.1f}/min, ETA {eta}"
        )
