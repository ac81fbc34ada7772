"""GPU time of a cloud smoke run and what it cost, from the settings' hourly price."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class GpuUsage:
    """Counts from the scale-up request to the scale-down request: instances boot and drain
    around that window, so this is an estimate, not the bill."""

    instances: int
    instance_type: str
    hourly_usd: float
    now: Callable[[], float] = field(default=time.monotonic)
    started: float | None = None
    stopped: float | None = None

    def start(self) -> None:
        self.started = self.now()

    def stop(self) -> None:
        if self.started is not None and self.stopped is None:
            self.stopped = self.now()

    @property
    def gpu_minutes(self) -> float:
        if self.started is None:
            return 0.0
        end = self.stopped if self.stopped is not None else self.now()
        return self.instances * (end - self.started) / 60

    @property
    def cost_usd(self) -> float:
        return self.gpu_minutes / 60 * self.hourly_usd

    def summary(self) -> str:
        return (
            f"GPU time: {self.gpu_minutes:.1f} instance-minutes of {self.instance_type} "
            f"(x{self.instances}); estimated cost ${self.cost_usd:.2f} "
            f"at ${self.hourly_usd:g}/h (GPU_HOURLY_USD)"
        )
