"""The smoke run's stages: timed and memory-sampled."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import click

from ftm_ops.smoke.memory import PeakMemory

T = TypeVar("T")


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
