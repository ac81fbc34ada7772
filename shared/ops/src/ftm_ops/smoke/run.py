"""The embedded end-to-end run behind `make smoke`: every stage, in the state machine's order.

It starts its own local cloud in a state folder of its own, so it never touches a substrate
the user started, runs each service as its own process (as Batch would), validates the outputs
with the Great Expectations suites, and stops everything it started, also on failure or Ctrl-C.

Given several quarters (`nox -s quarters`: 2017Q1 and 2017Q2) it runs them in calendar order in
the one local cloud, so each quarter's reduce links its themes to the previous one's, names
each quarter's stages and criteria by their quarter, and exports them all (`ftm export`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import click
import pandas as pd

from ftm_local import cloud
from ftm_ops import export, ingest
from ftm_ops.quarter.local import run_quarter
from ftm_ops.quarter.processes import run_service
from ftm_ops.smoke.budget import MachineLoad, stage_budget_s
from ftm_ops.smoke.checks import EXPORTED, demo_criterion, export_criterion, pipeline_criteria
from ftm_ops.smoke.environment import StageEnvironment, local_settings
from ftm_ops.smoke.memory import PeakMemory, gib
from ftm_ops.smoke.outputs import Outputs, copy_outputs
from ftm_ops.smoke.report import SmokeReport, write_report
from ftm_ops.smoke.stages import StageLog
from ftm_ops.validate import expectations_checklist
from ftm_shared import data
from ftm_shared.checklist import Criterion
from ftm_shared.config import FtmSettings
from ftm_shared.storage import ObjectStore

THEMES_SHOWN = 5
T = TypeVar("T")


@dataclass
class SmokeOptions:
    quarters: tuple[str, ...]
    """In calendar order (the lineage links each to the one before)."""
    firms: int | None
    state: Path
    model_tester: bool = True
    tester_limit: int = 8

    def __post_init__(self) -> None:
        self.quarters = tuple(sorted(set(self.quarters)))

    @property
    def several(self) -> bool:
        return len(self.quarters) > 1


@dataclass
class SmokeResult:
    criteria: list[Criterion] = field(default_factory=list)
    outputs: dict[str, Outputs] = field(default_factory=dict)
    exported: export.Exported | None = None
    data_docs: Path | None = None
    notes: list[str] = field(default_factory=list)
    firms: int | None = None
    """Firms of the largest quarter ingested: what the stage budgets scale with."""

    @property
    def passed(self) -> bool:
        return bool(self.criteria) and all(criterion.passed for criterion in self.criteria)


def run_smoke(options: SmokeOptions) -> bool:
    """Run every stage; print the checklist, outputs, times and peak memory; True if all pass."""
    result = SmokeResult()
    load = MachineLoad.now()
    click.echo(f"machine: {load.describe()} at the start")
    with PeakMemory() as memory:
        stages = StageLog(memory)
        try:
            _pipeline(options, stages, result)
        finally:
            stages.run("local down", lambda: click.echo(f"stopped: {down(options.state)}"))
    outputs = list(result.outputs.values())
    firms = result.firms or 0
    budgets = {name: stage_budget_s(name, firms) for name in stages.seconds}
    report = write_report(
        SmokeReport(
            quarter=", ".join(options.quarters),
            passed=result.passed,
            checklist=result.criteria,
            stage_seconds=stages.seconds,
            stage_peak_bytes=dict(memory.peak_by_stage),
            stage_budget_s=budgets,
            themes=_stacked([o.themes for o in outputs]),
            contributions=_stacked([o.contributions for o in outputs]),
            notes=[*result.notes, f"machine: {load.describe()} when the run started"],
            quality=outputs[-1].quality if outputs else {},
            quotes=_stacked([o.quotes for o in outputs]),
            over_quarters=(
                export.over_quarters(result.exported.tables).to_pandas()
                if result.exported
                else _empty()
            ),
        ),
        options.state / "report.html",
    )
    _print_summary(result, stages, memory, report, budgets, load)
    return result.passed


def _pipeline(options: SmokeOptions, stages: StageLog, result: SmokeResult) -> None:
    """Every stage against the run's own local cloud. This process's environment is read,
    never written: each stage's process gets its environment from `StageEnvironment`."""
    local, env = stages.run("local up", lambda: _local_up(options.state))
    settings = local_settings(local)
    # With the local cloud's credentials: the caller's environment may hold none.
    store = ObjectStore(settings.storage_url, s3_client=local.client("s3"))
    for quarter in options.quarters:
        _quarter(options, quarter, stages, result, SmokeCloud(settings, store, env))
    if options.several:
        _export(options, stages, result, store)
    if options.model_tester:
        limit = str(options.tester_limit)
        demo = stages.run(
            "model-tester",
            lambda: run_service("model_tester", "demo", "--limit", limit, env=env.for_services()),
        )
        result.criteria.append(demo_criterion(demo))
    else:
        result.notes.append("model-tester demo skipped (--no-model-tester)")


def _export(
    options: SmokeOptions, stages: StageLog, result: SmokeResult, store: ObjectStore
) -> None:
    target = options.state / "export"
    try:
        exported = stages.run(
            "export", lambda: export.export(store, options.quarters, target, "parquet")
        )
    except export.ExportError as error:
        result.criteria.append(Criterion(EXPORTED, False, detail=str(error)))
        return
    click.echo("\n".join(export.render(exported)))
    result.exported = exported
    result.notes += exported.notes
    result.criteria.append(export_criterion(exported))


@dataclass(frozen=True)
class SmokeCloud:
    """What every quarter of the run shares: the local cloud's settings and bucket, and the
    environment its stages' processes are built from."""

    settings: FtmSettings
    store: ObjectStore
    env: StageEnvironment


def _quarter(
    options: SmokeOptions, quarter: str, stages: StageLog, result: SmokeResult, run: SmokeCloud
) -> None:
    """One quarter's stages; with several quarters, its stages, criteria and outputs folder
    carry its name."""
    prefix = f"{quarter} " if options.several else ""
    settings, store = run.settings, run.store

    def timed(name: str, action: Callable[[], T]) -> T:
        return stages.run(prefix + name, action)

    ingested = timed("ingest", lambda: _ingest(store, options, quarter))
    result.firms = max(result.firms or 0, ingested.n_firms)
    # Sized for this quarter's firms (two shards, both in flight with as many requests as the
    # local LLM server has slots), from the caller's settings, never the previous quarter's.
    env = run.env.for_quarter(ingested.n_firms)
    done = run_quarter(store, settings.s3_bucket, quarter, timed=timed, env=env)
    result.notes += [*done.notes, f"run {done.run_id} (`ftm runs --quarter {quarter}`)"]
    checklist = timed(
        "validate",
        lambda: expectations_checklist(
            settings, quarter, done.run_id, store=store, gx_dir=run.env.gx_dir
        ),
    )
    result.data_docs = checklist.data_docs
    folder = options.state / "outputs" / (quarter if options.several else "")
    outputs = timed("copy outputs", lambda: copy_outputs(store, quarter, folder))
    result.outputs[quarter] = outputs
    criteria = pipeline_criteria(ingested, done.ran.get("map"), done.ran.get("reduce"), outputs)
    result.criteria += [
        dataclasses.replace(criterion, name=prefix + criterion.name)
        for criterion in [*criteria, *checklist.criteria]
    ]


def _ingest(store: ObjectStore, options: SmokeOptions, quarter: str) -> ingest.IngestResult:
    source = data.earnings_call_file()
    click.echo(f"data: {data.data_location().describe()}")
    done = ingest.ingest(source, quarter, store, firms=options.firms)
    click.echo(f"{done.n_rows:,} rows, {done.n_firms} firms from {source.name} -> {done.uri}")
    return done


def _local_up(state: Path) -> tuple[cloud.LocalCloud, StageEnvironment]:
    """Start the run's own local cloud; the environment its processes get (the local cloud's
    endpoint, bucket and LLM server over the caller's environment, which is left as it is)."""
    local = cloud.up(directory=state)
    env = StageEnvironment.build(os.environ, local, state)
    click.echo(f"moto server at {local.endpoint_url}, bucket {local.bucket}")
    llm = env.base.get("LLM_BASE_URL", "unset")
    click.echo(f"LLM server at {llm} (model {env.base.get('LLM_MODEL', 'unset')})")
    return local, env


def down(state: Path) -> str:
    return ", ".join(map(str, cloud.down(state))) or "nothing was running"


def _print_summary(
    result: SmokeResult,
    stages: StageLog,
    memory: PeakMemory,
    report: Path,
    budgets: dict[str, float | None],
    load: MachineLoad,
) -> None:
    click.secho("\nChecklist", bold=True)
    for criterion in result.criteria:
        click.secho(f"  {criterion.render()}", fg="green" if criterion.passed else "red")
    for note in result.notes:
        click.echo(f"  note: {note}")
    click.secho("\nOutputs", bold=True)
    for outputs in result.outputs.values():
        click.echo(f"  copied from the bucket to {outputs.folder}")
        click.echo("\n".join(outputs.themes_with_firms(THEMES_SHOWN)) or "  no themes")
    if result.exported is not None:
        click.echo(f"  export:    {next(iter(result.exported.files.values())).parent}")
    if result.data_docs is not None:
        click.echo(f"  data docs: {result.data_docs}")
    click.echo(f"  report:    {report.resolve()}")
    click.secho(
        f"\nTime per stage, its budget ({result.firms or 0} firms, warm, quiet 2-core machine) "
        "and peak memory of the whole process tree",
        bold=True,
    )
    for name, seconds in stages.seconds.items():
        click.echo(
            f"  {name:16} {seconds:7.1f} s  {_budget(seconds, budgets.get(name))}  "
            f"{gib(memory.peak_by_stage.get(name, 0))}"
        )
    total = sum(stages.seconds.values())
    budget = sum(b for b in budgets.values() if b is not None)
    click.echo(f"  {'total':16} {total:7.1f} s  {_budget(total, budget)}  peak {gib(memory.peak)}")
    # Only the start says whether others ran: from then on the load is mostly this run's own.
    click.echo(f"  machine: {load.describe()} when the run started")
    verdict = "PASSED" if result.passed else "FAILED"
    click.secho(f"\nsmoke {verdict}", bold=True, fg="green" if result.passed else "red")


def _budget(seconds: float, budget: float | None) -> str:
    if budget is None:
        return f"{'':15}"
    return f"of {budget:5.0f} s {'over' if seconds > budget else 'ok  '}"


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


def _stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    shown = [frame for frame in frames if not frame.empty]
    return pd.concat(shown, ignore_index=True) if shown else _empty()
