"""`map-worker` (also `python -m map_worker`, the container's entrypoint)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import click

from ftm_shared.cli_support import run_cli, service_group
from ftm_shared.config import load_settings
from ftm_shared.layout import validate_quarter
from ftm_shared.llm import LlmError
from ftm_shared.llm.stats import describe as describe_llm
from ftm_shared.logs import configure_logging
from ftm_shared.pipeline import FailurePolicy
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings
from map_worker.runner import MapRequest, MapRun, MapSummary


@service_group(
    "map-worker",
    "Per-firm topics on Ray, named by the LLM, checkpointed and resumable.",
    MapWorkerSettings,
)
def group() -> None:
    pass


@group.command("run")
@click.option("--quarter", required=True, help="Calendar quarter, e.g. 2017Q1.")
@click.option("--bucket", help="Overrides S3_BUCKET.")
@click.option("--firms", type=click.IntRange(min=1), help="Only the first N firms (by id).")
@click.option("--firm-ids", help="Only these firms, comma-separated.")
@click.option(
    "--batch-id",
    default="batch",
    show_default=True,
    help="Names the checkpoint; re-running the same batch resumes it.",
)
@click.option(
    "--keyword-fallback",
    is_flag=True,
    help="Name a topic by its keywords when the LLM fails (marked as such).",
)
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the run's summary (counts, stage seconds, LLM counters) to this file.",
)
def run_command(
    quarter: str,
    bucket: str | None,
    firms: int | None,
    firm_ids: str | None,
    batch_id: str,
    keyword_fallback: bool,
    summary_json: Path | None,
) -> None:
    """Topics for every firm of QUARTER; failed firms are listed in the failures manifest, and
    the exit code is 3 when more fail than PIPELINE_TOLERATED_FAILURE_PCT allows."""
    if firms and firm_ids:
        raise click.UsageError("--firms and --firm-ids exclude each other")
    overrides = {"s3_bucket": bucket} if bucket else {}
    settings = load_settings(MapWorkerSettings, **overrides)
    configure_logging(settings.ftm_log_format)
    request = MapRequest(
        quarter=validate_quarter(quarter),
        batch_id=batch_id,
        firms=firms,
        firm_ids=tuple(f.strip() for f in firm_ids.split(",") if f.strip()) if firm_ids else (),
        keyword_fallback=keyword_fallback,
    )
    summary = asyncio.run(MapRun(settings, request, ObjectStore.from_settings(settings)).run())
    click.echo(render_summary(summary))
    if summary_json:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary_json.write_text(json.dumps(asdict(summary), indent=2), encoding="utf-8")
    verdict = summary.verdict(FailurePolicy.from_settings(settings))
    click.echo(verdict.message())
    if verdict.exit_code:
        sys.exit(verdict.exit_code)


def render_summary(summary: MapSummary) -> str:
    seconds = summary.stage_seconds
    lines = [
        f"map {summary.quarter} batch {summary.batch_id}",
        f"  firms        {summary.firms_done} done now, {summary.firms_resumed} resumed, "
        f"{summary.firms_total} selected",
        f"  topics       {summary.topics} from {summary.documents} sentences",
        f"  failures     {len(summary.failures)}  ({summary.failures_uri})",
    ]
    for failure in summary.failures[:10]:
        where = failure.firm_id or failure.object_key
        lines.append(
            f"    - {where} [{failure.stage}] {failure.error_type}: {failure.message[:120]}"
        )
    if summary.llm:
        lines.append(f"  LLM          {describe_llm(summary.llm)}")
    stages = ", ".join(f"{name} {value:.1f}s" for name, value in seconds.items())
    lines.append(f"  time         {stages} (topics: summed over workers; the rest: wall)")
    lines.append(f"  output       {len(summary.parts)} part(s)")
    return "\n".join(lines)


@group.command("embed")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1, 4096))
@click.argument("texts", nargs=-1, required=True)
def embed_command(batch_size: int, texts: tuple[str, ...]) -> None:
    """Embed TEXTS with the bundled MiniLM model and print their cosine similarities."""
    from map_worker.embed import embed

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
