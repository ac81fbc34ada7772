"""A quarter's run here: `ftm_shared.pipeline`'s stages in order, each as its own process.

The same stages and commands as the state machine's jobs, with one difference: the map stage
runs every shard of the plan in one process (`map-worker run --run-id`, on one Ray node)
where AWS runs one Batch job per shard. A stage that does not exit 0 ends the run, as a
failed job ends the execution; collect applies the failure policy in both. Like the state
machine, the run learns which run the plan chose from the execution's record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from ftm_ops.quarter.processes import ServiceRun, run_service
from ftm_shared import pipeline, runs
from ftm_shared.plan import executed_plan
from ftm_shared.storage import ObjectStore

Timer = Callable[[str, Callable[[], ServiceRun]], ServiceRun]


def untimed(_name: str, action: Callable[[], ServiceRun]) -> ServiceRun:
    return action()


def execution_name() -> str:
    return f"local-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass
class QuarterRun:
    quarter: str
    execution: str
    run_id: str | None = None
    ran: dict[str, ServiceRun] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reduced_before: bool = False
    """The plan found a run reduced before: every stage was a no-op (already done)."""

    @property
    def passed(self) -> bool:
        return len(self.ran) == len(pipeline.STAGES) and all(r.ok for r in self.ran.values())


def run_quarter(
    store: ObjectStore,
    bucket: str,
    quarter: str,
    *,
    new_run: bool = False,
    timed: Timer = untimed,
    env: Mapping[str, str] | None = None,
) -> QuarterRun:
    """Plan, map, collect and reduce `quarter` (resuming its run where inputs and settings are
    unchanged, unless `new_run`); stop at the first stage that fails. Each stage's process
    gets `env` (default: this process's environment)."""
    done = QuarterRun(quarter, execution_name())
    values = {
        "quarter": quarter,
        "bucket": bucket,
        "execution": done.execution,
        "new_run": str(new_run).lower(),
    }
    for stage in pipeline.STAGES:
        action = partial(run_service, stage.module, *stage.command(values), env=env)
        run = timed(stage.name, action)
        done.ran[stage.name] = run
        if not pipeline.lets_next_stage_run(run.exit_code):
            later = [s.name for s in pipeline.STAGES[len(done.ran) :]]
            if later:
                done.notes.append(
                    f"{', '.join(later)} skipped: {stage.name} exited {run.exit_code}"
                )
            break
        if "run_id" not in values:
            # What the state machine's ReadPlan state does: the plan recorded its run under
            # this execution's name.
            done.run_id = values["run_id"] = executed_plan(store, quarter, done.execution)["run_id"]
            state = runs.read_manifest(store, quarter, done.run_id).get("state")
            done.reduced_before = state == runs.REDUCED
    return done
