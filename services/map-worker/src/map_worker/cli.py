"""`map-worker` (also `python -m map_worker`, the container's entrypoint)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ftm_shared import layout
from ftm_shared.cli_support import run_cli, service_group
from ftm_shared.config import load_settings
from ftm_shared.layout import validate_quarter
from ftm_shared.llm import LlmError
from ftm_shared.llm.stats import describe as describe_llm
from ftm_shared.logs import configure_logging
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectStore
from map_worker.collect import collect
from map_worker.config import MapWorkerSettings
from map_worker.planning import Planned, Selection, plan_quarter

if TYPE_CHECKING:
    from map_worker.fanout import MapSummary


@service_group(
    "map-worker",
    "Per-firm topics on Ray, named by the LLM, checkpointed and resumable.",
    MapWorkerSettings,
)
def group() -> None:
    pass


def _where(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--bucket", help="Overrides S3_BUCKET.")(function)
    return click.option(
        "--quarter", required=True, callback=_quarter, help="Calendar quarter, e.g. 2017Q1."
    )(function)


def _selection(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--firms", type=click.IntRange(min=1), help="Only the first N firms (by id)."
            ),
            click.option("--firm-ids", help="Only these firms, comma-separated."),
            click.option(
                "--keyword-fallback",
                is_flag=True,
                help="Name a topic by its keywords when the LLM fails (marked as such).",
            ),
            click.option(
                "--new-run",
                type=click.BOOL,
                is_flag=False,
                flag_value=True,
                default=False,
                help="Start a new run even where one of the same inputs and settings exists "
                "(`--new-run` or `--new-run true`).",
            ),
        ]
    ):
        function = option(function)
    return function


def _quarter(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    return validate_quarter(value)


def _setup(bucket: str | None) -> tuple[MapWorkerSettings, ObjectStore]:
    settings = load_settings(MapWorkerSettings, **({"s3_bucket": bucket} if bucket else {}))
    configure_logging(settings.ftm_log_format)
    return settings, ObjectStore.from_settings(settings)


def _plan(
    store: ObjectStore,
    settings: MapWorkerSettings,
    quarter: str,
    options: dict[str, Any],
    execution: str | None = None,
) -> Plan:
    if options["firms"] and options["firm_ids"]:
        raise click.UsageError("--firms and --firm-ids exclude each other")
    ids = options["firm_ids"]
    selection = Selection(
        firms=options["firms"],
        firm_ids=tuple(f.strip() for f in ids.split(",") if f.strip()) if ids else (),
        keyword_fallback=options["keyword_fallback"],
    )
    planned = plan_quarter(
        store, settings, quarter, selection, new_run=options["new_run"], execution=execution
    )
    click.echo(render_plan(planned, store))
    return planned.plan


@group.command("plan")
@_where
@_selection
@click.option(
    "--execution",
    help="Record the plan's run under this execution name (the state machine passes its own).",
)
def plan_command(quarter: str, bucket: str | None, execution: str | None, **options: Any) -> None:
    """List QUARTER's firms from the raw transcripts and split them into shards
    (MAP_SHARD_FIRMS) under a run: the same run as before when inputs and settings are the
    same, else a new one."""
    settings, store = _setup(bucket)
    _plan(store, settings, quarter, options, execution)


@group.command("run")
@_where
@click.option(
    "--run-id", help="Map this planned run (default: plan first, as `map-worker plan` does)."
)
@click.option("--shard", help="Only this shard of the run (one Batch job in AWS).")
@_selection
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the run's summary (counts, stage seconds, LLM counters) to this file.",
)
def run_command(
    quarter: str,
    bucket: str | None,
    run_id: str | None,
    shard: str | None,
    summary_json: Path | None,
    **options: Any,
) -> None:
    """Topics for the firms of a run's shards: all of them here, `--shard` in AWS.

    Without --run-id it plans the quarter first and, after the shards, collects: failed firms
    are listed in the run's failures manifest, and the exit code is 3 when more fail than
    PIPELINE_TOLERATED_FAILURE_PCT allows."""
    if shard and not run_id:
        raise click.UsageError("--shard needs --run-id (the run the shard belongs to)")
    # Ray, torch and scikit-learn take seconds to import: only `run` needs them, not plan or
    # collect, each its own process (a Step Functions state, a smoke stage).
    from map_worker.fanout import run_shards

    settings, store = _setup(bucket)
    plan = Plan.load(store, quarter, run_id) if run_id else _plan(store, settings, quarter, options)
    summary = asyncio.run(run_shards(settings, store, plan, shard))
    click.echo(render_summary(summary))
    if summary_json:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        report = {**asdict(summary), "totals": summary.totals()}
        summary_json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if not run_id:
        _judge(store, plan)


@group.command("collect")
@_where
@click.option("--run-id", required=True, help="The run whose shards are collected.")
def collect_command(quarter: str, bucket: str | None, run_id: str) -> None:
    """Every shard's failures of a run in the quarter's one manifest, judged by the failure
    policy: exit 0 (reduce may run) or 3 (more firms failed than tolerated)."""
    _settings, store = _setup(bucket)
    _judge(store, Plan.load(store, quarter, run_id))


def _judge(store: ObjectStore, plan: Plan) -> None:
    collected = collect(store, plan)
    click.echo(collected.verdict.message())
    if collected.verdict.exit_code:
        sys.exit(collected.verdict.exit_code)


def render_plan(planned: Planned, store: ObjectStore) -> str:
    plan = planned.plan
    shown = plan.concurrency
    return "\n".join(
        [
            f"plan {plan.quarter}: run {plan.run_id} "
            f"({'found again: same inputs and settings' if planned.resumed else 'new'})",
            f"  firms        {plan.firms} in {len(plan.shards)} shard(s) of at most "
            f"{plan.settings.get('map_shard_firms')}",
            f"  concurrency  {shown['shards_in_flight']} shard(s) in flight x "
            f"{shown['llm_max_concurrent']} requests = {shown['requests_in_flight']} for "
            f"{shown['vllm_instances']} vLLM instance(s) x "
            f"{shown['vllm_concurrency_per_instance']} = {shown['fleet_slots']} slots",
            f"  unreadable   {len(plan.input_failures)} raw object(s)",
            f"  plan         {store.uri(layout.plan_key(plan.quarter, plan.run_id))}",
            f"run_id={plan.run_id}",
        ]
    )


def render_summary(summary: MapSummary) -> str:
    lines = [f"map {summary.quarter} run {summary.run_id}"]
    for shard in summary.shards:
        if shard.skipped:
            lines.append(f"  shard {shard.shard}  complete before: skipped")
            continue
        seconds = ", ".join(f"{k} {v:.1f}s" for k, v in shard.stage_seconds.items())
        lines += [
            f"  shard {shard.shard}  {shard.firms_done} firm(s) done now, "
            f"{shard.firms_resumed} resumed, {len(shard.failures)} failed, "
            f"{shard.firms_total} planned; {shard.topics} topics from {shard.documents} "
            f"sentences ({shard.procedural} set aside as call procedure)",
            f"    time       {seconds} (embed, topics: summed over firms; the rest: wall)",
        ]
        lines += [
            f"    - {f.firm_id or f.object_key} [{f.stage}] {f.error_type}: {f.message[:120]}"
            + ("" if f.final else "  (the LLM or S3 was unavailable: a re-run tries it again)")
            for f in shard.failures[:10]
        ]
        if shard.llm:
            lines.append(f"    LLM        {describe_llm(shard.llm)}")
    workers = ", ".join(f"{seconds:.1f}s" for seconds in summary.worker_startup_s)
    lines.append(
        f"  time         Ray startup {summary.startup_s:.1f}s (each worker's model load and "
        f"first fit: {workers or 'none started'}), total {summary.seconds:.1f}s"
    )
    return "\n".join(lines)


@group.command("embed")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1, 4096))
@click.argument("texts", nargs=-1, required=True)
def embed_command(batch_size: int, texts: tuple[str, ...]) -> None:
    """Embed TEXTS with the bundled MiniLM model and print their cosine similarities."""
    from ftm_shared.embedding import embed

    started = time.perf_counter()
    vectors = embed(texts, batch_size=batch_size)
    click.echo(
        f"{len(texts)} text(s) -> {vectors.shape[1]}-d in {time.perf_counter() - started:.2f}s"
    )
    similarity = vectors @ vectors.T
    for i, text in enumerate(texts):
        row = "  ".join(f"{value:5.2f}" for value in similarity[i])
        click.echo(f"{row}  {text[:60]}")


def main() -> None:
    run_cli(group, (LlmError,))
