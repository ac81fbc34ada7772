"""`ftm runs` (a quarter's runs and their state) and `ftm quarter run` (the pipeline, here)."""

from __future__ import annotations

import time

import click

from ftm_ops.bucket import ready_store
from ftm_ops.quarter.local import run_quarter
from ftm_shared import layout, runs
from ftm_shared.config import FtmSettings, load_settings
from ftm_shared.errors import InputError
from ftm_shared.storage import ObjectStore


def _quarter(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return layout.validate_quarter(value)
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
@click.option("--quarter", required=True, callback=_quarter, help="Calendar quarter, e.g. 2017Q1.")
@click.option(
    "--new-run",
    is_flag=True,
    help="Start a new run even where one of the same inputs and settings exists.",
)
def quarter_run_command(quarter: str, new_run: bool) -> None:
    """Run QUARTER's stages in the state machine's order, each as its own process: re-running
    resumes the unfinished shards of the same run and redoes nothing finished."""
    settings = load_settings(FtmSettings)
    store = ready_store(settings)
    started = time.perf_counter()
    done = run_quarter(store, settings.s3_bucket, quarter, new_run=new_run)
    notes = list(done.notes)
    if done.passed and done.run_id and _themes_written(store, quarter, done.run_id) == 0:
        notes.append(
            "reduce found no themes: the quarter's firms share no subject (too few or too "
            "unlike); `ftm validate` fails on it"
        )
    for note in notes:
        click.echo(f"note: {note}")
    took = time.perf_counter() - started
    verdict = "finished" if done.passed else "FAILED"
    run = f"run {done.run_id}" if done.run_id else "(no run planned)"
    click.echo(f"quarter {quarter} {run}: {verdict} in {took:.0f}s")
    if not done.passed:
        failed = next(reversed(done.ran.values()))
        raise click.exceptions.Exit(failed.exit_code or 1)


def _themes_written(store: ObjectStore, quarter: str, run_id: str) -> int | None:
    counts = runs.read_manifest(store, quarter, run_id).get("reduce", {}).get("counts", {})
    themes = counts.get("themes")
    return int(themes) if themes is not None else None
