"""The embedded end-to-end run behind `make smoke`: every stage, in the state machine's order.

It starts its own local cloud in a state folder of its own, so it never touches a substrate
the user started, runs each service as its own process (as Batch would), validates the outputs
with the Great Expectations suites, and stops everything it started, also on failure or Ctrl-C.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import click
import pandas as pd

from ftm_ops import ingest
from ftm_ops.local import cloud
from ftm_ops.local.llm_server import LocalLlmSettings
from ftm_ops.quarter.local import run_quarter
from ftm_ops.quarter.processes import run_service
from ftm_ops.smoke.checks import demo_criterion, pipeline_criteria
from ftm_ops.smoke.memory import PeakMemory, gib
from ftm_ops.smoke.outputs import Outputs, copy_outputs
from ftm_ops.smoke.report import SmokeReport, write_report
from ftm_ops.smoke.stages import StageLog
from ftm_ops.validate import expectations_checklist
from ftm_shared import data
from ftm_shared.checklist import Criterion
from ftm_shared.config import (
    ENV_FILE_NAME,
    FtmSettings,
    load_settings,
    read_env_file,
    read_settings,
)
from ftm_shared.storage import ObjectStore

THEMES_SHOWN = 5


@dataclass
class SmokeOptions:
    quarter: str
    firms: int | None
    state: Path
    model_tester: bool = True
    tester_limit: int = 20


@dataclass
class SmokeResult:
    criteria: list[Criterion] = field(default_factory=list)
    outputs: Outputs | None = None
    data_docs: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.criteria) and all(criterion.passed for criterion in self.criteria)


def run_smoke(options: SmokeOptions) -> bool:
    """Run every stage; print the checklist, outputs, times and peak memory; True if all pass."""
    result = SmokeResult()
    with PeakMemory() as memory:
        stages = StageLog(memory)
        try:
            _pipeline(options, stages, result)
        finally:
            stages.run("local down", lambda: click.echo(f"stopped: {down(options.state)}"))
    report = write_report(
        SmokeReport(
            quarter=options.quarter,
            passed=result.passed,
            checklist=result.criteria,
            stage_seconds=stages.seconds,
            stage_peak_bytes=dict(memory.peak_by_stage),
            themes=result.outputs.themes if result.outputs else _empty(),
            contributions=result.outputs.contributions if result.outputs else _empty(),
            notes=result.notes,
            quality=result.outputs.quality if result.outputs else {},
        ),
        options.state / "report.html",
    )
    _print_summary(result, stages, memory, report)
    return result.passed


def _pipeline(options: SmokeOptions, stages: StageLog, result: SmokeResult) -> None:
    quarter = options.quarter
    stages.run("local up", lambda: _local_up(options.state))
    settings = load_settings(FtmSettings)
    store = ObjectStore.from_settings(settings)
    ingested = stages.run("ingest", lambda: _ingest(store, options))
    # At least two shards, so that every smoke run exercises the fan-out, both in flight
    # with as many requests as the local LLM server has slots (its "fleet").
    slots = read_settings(LocalLlmSettings).llm_parallel
    os.environ.setdefault("MAP_SHARD_FIRMS", str(max(1, math.ceil(ingested.n_firms / 2))))
    os.environ.setdefault("VLLM_CONCURRENCY_PER_INSTANCE", str(slots))
    os.environ.setdefault("LLM_MAX_CONCURRENT", str(max(1, slots // 2)))
    done = run_quarter(store, settings.s3_bucket, quarter, timed=stages.run)
    result.notes += [*done.notes, f"run {done.run_id} (`ftm runs --quarter {quarter}`)"]
    os.environ.setdefault("FTM_GX_DIR", str(options.state.resolve() / "gx"))
    checklist = stages.run(
        "validate", lambda: expectations_checklist(settings, quarter, done.run_id)
    )
    result.data_docs = checklist.data_docs
    result.outputs = stages.run(
        "copy outputs", lambda: copy_outputs(store, quarter, options.state / "outputs")
    )
    result.criteria = pipeline_criteria(
        ingested, done.ran.get("map"), done.ran.get("reduce"), result.outputs
    )
    result.criteria += checklist.criteria
    if options.model_tester:
        demo = stages.run(
            "model-tester",
            lambda: run_service("model_tester", "demo", "--limit", str(options.tester_limit)),
        )
        result.criteria.append(demo_criterion(demo))
    else:
        result.notes.append("model-tester demo skipped (--no-model-tester)")


def _ingest(store: ObjectStore, options: SmokeOptions) -> ingest.IngestResult:
    source = data.earnings_call_file()
    click.echo(f"data: {data.data_location().describe()}")
    done = ingest.ingest(source, options.quarter, store, firms=options.firms)
    click.echo(f"{done.n_rows:,} rows, {done.n_firms} firms from {source.name} -> {done.uri}")
    return done


def _local_up(state: Path) -> None:
    local = cloud.up(directory=state)
    # The smoke run's own substrate wins over anything in the caller's environment, so it can
    # never write to a real bucket.
    os.environ.update(local.env())
    os.environ.update(read_env_file(state / ENV_FILE_NAME))
    os.environ["FTM_STATE_DIR"] = str(state)
    os.environ.pop("FTM_USE_SSM", None)
    click.echo(f"moto server at {local.endpoint_url}, bucket {local.bucket}")
    click.echo(f"LLM server at {os.environ['LLM_BASE_URL']} (model {os.environ['LLM_MODEL']})")


def down(state: Path) -> str:
    return ", ".join(cloud.down(state)) or "nothing was running"


def _print_summary(result: SmokeResult, stages: StageLog, memory: PeakMemory, report: Path) -> None:
    click.secho("\nChecklist", bold=True)
    for criterion in result.criteria:
        click.secho(f"  {criterion.render()}", fg="green" if criterion.passed else "red")
    for note in result.notes:
        click.echo(f"  note: {note}")
    click.secho("\nOutputs", bold=True)
    if result.outputs is not None:
        click.echo(f"  copied from the bucket to {result.outputs.folder}")
        click.echo("\n".join(result.outputs.themes_with_firms(THEMES_SHOWN)) or "  no themes")
    if result.data_docs is not None:
        click.echo(f"  data docs: {result.data_docs}")
    click.echo(f"  report:    {report.resolve()}")
    click.secho("\nTime per stage (peak memory of the whole process tree)", bold=True)
    for name, seconds in stages.seconds.items():
        click.echo(f"  {name:16} {seconds:7.1f} s   {gib(memory.peak_by_stage.get(name, 0))}")
    click.echo(f"  {'total':16} {sum(stages.seconds.values()):7.1f} s   peak {gib(memory.peak)}")
    verdict = "PASSED" if result.passed else "FAILED"
    click.secho(f"\nsmoke {verdict}", bold=True, fg="green" if result.passed else "red")


def _empty() -> pd.DataFrame:
    return pd.DataFrame()
