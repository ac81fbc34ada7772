"""What each stage of a warm `make smoke` may take, and how busy the machine was.

A budget is what the stage of a warm run (the llama.cpp server built, the demo adapter cached)
of the default 25 firms takes on the quiet 2-core development box, with a margin: 465 s in
all (measured 2026-12-07: 346-387 s, the map 214-225 s, the reduce 51-77 s;
docs/benchmarks.md). Naming is the long pole: ~230 LLM requests to the local 270M model at
about 1.2 a second. Stages that grow with the firms (plan, map, collect, reduce) scale with
the run's firms. A run over budget on a busy machine says so, with the load average it
started under, so a slow run explains itself instead of looking like a regression.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

BUDGET_FIRMS = 25
FIXED_BUDGET_S = {
    "local up": 10.0,
    "ingest": 5.0,
    "validate": 15.0,
    "copy outputs": 5.0,
    "export": 10.0,
    "model-tester": 75.0,
    "local down": 10.0,
}
PER_FIRM_BUDGET_S = {
    "plan": 8.0 / BUDGET_FIRMS,
    "map": 240.0 / BUDGET_FIRMS,
    "collect": 7.0 / BUDGET_FIRMS,
    "reduce": 90.0 / BUDGET_FIRMS,
}
# Above this many runnable processes per CPU the timings are the machine's, not the run's.
BUSY_LOAD_PER_CPU = 0.5


def stage_budget_s(stage: str, firms: int) -> float | None:
    """The budget of `stage` ("map", or "2017Q2 map" in a several-quarter run) for `firms`
    firms; None for a stage without one."""
    name = stage.split(" ", 1)[1] if stage[:4].isdigit() and " " in stage else stage
    if name in FIXED_BUDGET_S:
        return FIXED_BUDGET_S[name]
    if name in PER_FIRM_BUDGET_S:
        return PER_FIRM_BUDGET_S[name] * firms
    return None


@dataclass(frozen=True)
class MachineLoad:
    cpus: int
    load_1min: float

    @classmethod
    def now(cls) -> MachineLoad:
        return cls(os.cpu_count() or 1, os.getloadavg()[0])

    @property
    def busy(self) -> bool:
        return self.load_1min > BUSY_LOAD_PER_CPU * self.cpus

    def describe(self) -> str:
        state = "busy: times over budget may be the machine's" if self.busy else "quiet"
        return f"load average {self.load_1min:.2f} on {self.cpus} CPU(s) ({state})"
