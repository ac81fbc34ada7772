"""Several quarters in one command: each run as `ftm quarter run --quarter Q` runs it, in the
order given (calendar order, from `layout.parse_quarters`), stopping at the first that fails.

A quarter finished before is run again too: its plan finds the same run, and every stage is a
no-op, so a re-run of the whole command after a fix resumes at the quarter that failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import click

from ftm_ops.quarter.local import QuarterRun
from ftm_ops.quarter.processes import ServiceRun
from ftm_shared import pipeline

QuarterRunner = Callable[[str], QuarterRun]

FINISHED, ALREADY_DONE, NOT_STARTED = "finished", "already done", "not started"
# What to do about a stage that stopped a quarter, where its exit code says more than its output.
_ADVICE = {
    ("collect", pipeline.EXIT_POLICY_FAILED): (
        "more firms failed than PIPELINE_TOLERATED_FAILURE_PCT tolerates: fix the inputs of the "
        "firms in the failures manifest it named (and ingest them again), or raise the setting"
    ),
    ("reduce", pipeline.EXIT_POLICY_FAILED): (
        "a theme could not be named (reduce lists it above as NOT NAMED; nothing was written)"
    ),
}


@dataclass
class QuarterResult:
    quarter: str
    run: QuarterRun | None = None
    """None: not started."""
    seconds: float = 0.0

    @property
    def state(self) -> str:
        if self.run is None:
            return NOT_STARTED
        if not self.run.passed:
            stage, ran = self.failed_stage
            return f"FAILED at {stage} (exit {ran.exit_code})"
        return ALREADY_DONE if self.run.reduced_before else FINISHED

    @property
    def failed_stage(self) -> tuple[str, ServiceRun]:
        assert self.run is not None
        return next(reversed(self.run.ran.items()))

    @property
    def exit_code(self) -> int:
        if self.run is None or self.run.passed:
            return pipeline.EXIT_OK
        return self.failed_stage[1].exit_code or 1


def run_in_order(
    quarters: Sequence[str],
    run_one: QuarterRunner,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> list[QuarterResult]:
    """Run `quarters` one after another with `run_one`; none after the first that fails."""
    results = [QuarterResult(quarter) for quarter in quarters]
    for index, result in enumerate(results):
        if len(results) > 1:
            click.echo(progress(results, index))
        started = clock()
        result.run = run_one(result.quarter)
        result.seconds = clock() - started
        run = f"run {result.run.run_id}" if result.run.run_id else "(no run planned)"
        verdict = "FAILED" if result.exit_code else result.state
        click.echo(f"quarter {result.quarter} {run}: {verdict} in {result.seconds:.0f}s")
        if result.exit_code:
            break
    return results


def progress(results: Sequence[QuarterResult], index: int) -> str:
    """`quarter 2/4: 2017Q2`, with an estimate of the time left from the quarters that did
    work so far (one already done took seconds, and says nothing of the next)."""
    line = f"quarter {index + 1}/{len(results)}: {results[index].quarter}"
    worked = [r.seconds for r in results[:index] if r.state == FINISHED]
    if not worked:
        return line
    each = sum(worked) / len(worked)
    left = len(results) - index
    return f"{line} (about {_duration(each * left)} left: {left} at {_duration(each)} each)"


def stopped(results: Sequence[QuarterResult]) -> list[str]:
    """What stopped the command and what to do, and where every quarter stands."""
    failed = next(r for r in results if r.exit_code)
    stage, ran = failed.failed_stage
    advice = _ADVICE.get((stage, ran.exit_code)) or (
        "fix what its `error:` line names"
        if ran.exit_code == pipeline.EXIT_INPUT_ERROR
        else "its output above says why"
    )
    before = ", and the quarters before it are no-ops" if failed is not results[0] else ""
    lines = [
        f"stopped at {failed.quarter}: {stage} exited {ran.exit_code}; {advice}.",
        f"then run the same command again: {failed.quarter} resumes where it stopped{before}.",
    ]
    if len(results) > 1:
        lines.append(
            "; ".join(
                f"{state}: {', '.join(r.quarter for r in results if r.state == state) or '-'}"
                for state in (FINISHED, ALREADY_DONE, NOT_STARTED)
            )
        )
    return lines


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
