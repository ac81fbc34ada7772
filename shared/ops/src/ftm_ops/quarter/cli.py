"""`ftm runs` (a quarter's runs and their state) and `ftm quarter run` (the pipeline, here, for
one quarter or several in order)."""

from __future__ import annotations

from functools import partial

import click

from ftm_ops.bucket import ready_store
from ftm_ops.quarter import several
from ftm_ops.quarter.local import QuarterRun, run_quarter
from ftm_shared import layout, pipeline, runs
from ftm_shared.config import FtmSettings, load_settings
from ftm_shared.errors import InputError
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectStore


def _quarter(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    try:
        return None if value is None else layout.validate_quarter(value)
    except InputError as error:
        raise click.BadParameter(str(error)) from None


def _quarter_spec(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> list[str] | None:
    try:
        return None if value is None else layout.parse_quarters(value)
    except InputError as error:
        raise click.BadParameter(str(error)) from None


@click.command("runs")
@click.option("--quarter", required=True, callback=_quarter, help="Calendar quarter, e.g. 2017Q1.")
def runs_command(quarter: str) -> None:
    """List QUARTER's runs, newest first: state, firms, failures, themes, and which is current."""
    store = ready_store()
    found = runs.runs_of(store, quarter)
    if not found:
        click.echo(f"no runs of {quarter} under {store.uri(layout.runs_prefix(quarter))}")
        return
    click.echo(render_runs(found))
    click.echo(
        f"(* current: its result is at the contract paths; runs under "
        f"{store.uri(layout.runs_prefix(quarter))})"
    )


def render_runs(found: list[runs.RunStatus]) -> str:
    lines = [
        f"  {'run':28} {'created':20} {'state':30} {'firms':>6} {'failed':>6} {'themes':>6} shards"
    ]
    for status in found:
        manifest = status.manifest
        failed = manifest.get("failures", {}).get("count", "")
        themes = manifest.get("reduce", {}).get("counts", {}).get("themes", "")
        mark = "*" if status.current else " "
        lines.append(
            f"{mark} {status.plan.run_id:28} {status.plan.created_at[:19]:20} "
            f"{status.state:30} {status.plan.firms:>6} {failed!s:>6} {themes!s:>6} "
            f"{len(status.plan.shards)} ({status.plan.concurrency['shards_in_flight']} at once)"
        )
    lines += [f"  {s.plan.run_id}: {s.problem}" for s in found if s.problem]
    return "\n".join(lines)


@click.group("quarter")
def quarter_group() -> None:
    """A quarter's pipeline (plan, map, collect, reduce) on this machine's settings."""


@quarter_group.command("run")
@click.option("--quarter", callback=_quarter, help="One calendar quarter, e.g. 2017Q1.")
@click.option(
    "--quarters",
    "spec",
    callback=_quarter_spec,
    help="Several, run in calendar order, stopping at the first that fails: 2017Q1..2017Q4, "
    "2017Q1,2017Q3 or one quarter.",
)
@click.option(
    "--new-run",
    is_flag=True,
    help="Start a new run (of every quarter named) even where one of the same inputs and "
    "settings exists.",
)
def quarter_run_command(quarter: str | None, spec: list[str] | None, new_run: bool) -> None:
    """Run each quarter's stages in the state machine's order, each as its own process:
    re-running resumes the unfinished shards of the same run and redoes nothing finished."""
    if (quarter and spec) or not (quarter or spec):
        raise click.UsageError("give one of --quarter 2017Q1 or --quarters 2017Q1..2017Q4")
    settings = load_settings(FtmSettings)
    store = ready_store(settings)
    run_one = partial(_run_and_note, store, settings.s3_bucket, new_run=new_run)
    results = several.run_in_order(spec or [str(quarter)], run_one)
    if len(results) > 1:
        click.echo(render_quarters(store, results))
    exit_code = next((r.exit_code for r in results if r.exit_code), pipeline.EXIT_OK)
    if exit_code:
        click.echo("\n".join(several.stopped(results)))
        raise click.exceptions.Exit(exit_code)


def _run_and_note(store: ObjectStore, bucket: str, quarter: str, *, new_run: bool) -> QuarterRun:
    """One quarter, as `ftm quarter run --quarter` runs it, and what the user should know of it."""
    done = run_quarter(store, bucket, quarter, new_run=new_run)
    notes = list(done.notes)
    if done.passed and done.run_id and _themes_written(store, quarter, done.run_id) == 0:
        notes.append(
            "reduce found no themes: the quarter's firms share no subject (too few or too "
            "unlike); `ftm validate` fails on it"
        )
    for note in notes:
        click.echo(f"note: {note}")
    return done


def render_quarters(store: ObjectStore, results: list[several.QuarterResult]) -> str:
    lines = [f"{'quarter':8} {'run':28} {'state':28} {'firms':>6} {'themes':>6} {'seconds':>8}"]
    for result in results:
        run_id = result.run.run_id if result.run else None
        firms = Plan.load(store, result.quarter, run_id).firms if run_id else None
        themes = _themes_written(store, result.quarter, run_id) if run_id else None
        seconds = f"{result.seconds:.0f}" if result.run else ""
        row = (
            f"{result.quarter:8} {run_id or '-':28} {result.state:28} {_blank(firms):>6} "
            f"{_blank(themes):>6} {seconds:>8}"
        )
        lines.append(row.rstrip())
    return "\n".join(lines)


def _blank(count: int | None) -> str:
    return "" if count is None else str(count)


def _themes_written(store: ObjectStore, quarter: str, run_id: str) -> int | None:
    counts = runs.read_manifest(store, quarter, run_id).get("reduce", {}).get("counts", {})
    themes = counts.get("themes")
    return int(themes) if themes is not None else None
