"""The quarter's stages, run here in `ftm_shared.pipeline`'s order, each as its own process.

A stage that does not exit 0 ends the quarter, as a failed Batch job ends the state machine's
execution: the stages read the failure policy themselves (map exits 0 while the failed firms
stay within PIPELINE_TOLERATED_FAILURE_PCT), so here and in AWS the same run stops at the same
place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ftm_ops.quarter.processes import ServiceRun, run_service
from ftm_shared import pipeline

Timer = Callable[[str, Callable[[], ServiceRun]], ServiceRun]


def untimed(_name: str, action: Callable[[], ServiceRun]) -> ServiceRun:
    return action()


@dataclass
class StagesRun:
    ran: dict[str, ServiceRun] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return len(self.ran) == len(pipeline.STAGES) and all(r.ok for r in self.ran.values())


def run_stages(values: dict[str, str], timed: Timer = untimed) -> StagesRun:
    """Run every stage with `values` filling its command; stop at the first that fails."""
    done = StagesRun()
    for stage in pipeline.STAGES:
        run = timed(stage.name, partial(run_service, stage.module, *stage.command(values)))
        done.ran[stage.name] = run
        if not pipeline.lets_next_stage_run(run.exit_code):
            later = [s.name for s in pipeline.STAGES[len(done.ran) :]]
            if later:
                done.notes.append(
                    f"{', '.join(later)} skipped: {stage.service} exited {run.exit_code}"
                )
            break
    return done
