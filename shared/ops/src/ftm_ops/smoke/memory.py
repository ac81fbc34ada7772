"""Peak memory of the smoke run's whole process tree: itself, the servers, the stage processes.

The stages run as separate processes (and Ray starts its own), so the smoke process's own
`ru_maxrss` says little; a sampler thread sums the resident memory of every descendant.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from types import TracebackType

import psutil

SAMPLE_EVERY_S = 0.5


def tree_rss_bytes(root: psutil.Process) -> int:
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue  # a process that ended between listing and reading
    return total


class PeakMemory:
    """Samples the tree's memory in the background; `stage` names what runs now."""

    def __init__(self, root: psutil.Process | None = None) -> None:
        self.root = root or psutil.Process()
        self.stage = "start"
        self.peak_by_stage: dict[str, int] = defaultdict(int)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)

    @property
    def peak(self) -> int:
        return max(self.peak_by_stage.values(), default=0)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sample_now()
            self._stop.wait(SAMPLE_EVERY_S)

    def sample_now(self) -> None:
        stage = self.stage
        self.peak_by_stage[stage] = max(self.peak_by_stage[stage], tree_rss_bytes(self.root))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


def gib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.2f} GiB"
