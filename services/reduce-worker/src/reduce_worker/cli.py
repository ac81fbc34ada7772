"""`reduce-worker` (also `python -m reduce_worker`, the container's entrypoint)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from ftm_shared import layout, runs, schemas
from ftm_shared.cli_support import run_cli, service_group
from ftm_shared.config import FtmSettings, load_settings
from ftm_shared.errors import InputError
from ftm_shared.llm import LlmError
from ftm_shared.llm.stats import describe as describe_llm
from ftm_shared.logs import configure_logging
from ftm_shared.pipeline import EXIT_POLICY_FAILED
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectStore
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.registry import DECISIONS
from reduce_worker.registry_store import registered
from reduce_worker.runner import ReduceRun
from reduce_worker.summary import ReduceSummary


@service_group(
    "reduce-worker",
    "Cross-firm themes from the map stage's topics, named by the LLM.",
    ReduceWorkerSettings,
)
def group() -> None:
    pass


RUN_ID_HELP = "This run (default: the newest run of QUARTER whose map finished)."


@group.command("run")
@click.option("--quarter", required=True, help="Calendar quarter, e.g. 2017Q1.")
@click.option("--bucket", help="Overrides S3_BUCKET.")
@click.option("--run-id", help=RUN_ID_HELP)
def run_command(quarter: str, bucket: str | None, run_id: str | None) -> None:
    """Themes of one run of QUARTER, published as the quarter's current result; exit 3
    (nothing written) when a theme could not be named. A run reduced before is not redone."""
    overrides = {"s3_bucket": bucket} if bucket else {}
    settings = load_settings(ReduceWorkerSettings, **overrides)
    configure_logging(settings.ftm_log_format)
    store = ObjectStore.from_settings(settings)
    run = ReduceRun(settings, layout.validate_quarter(quarter), store, run_id)
    summary = asyncio.run(run.run())
    click.echo(render_summary(summary))
    if summary.failures:
        sys.exit(EXIT_POLICY_FAILED)


def _shown(quality: dict[str, Any], key: str) -> str:
    value = quality.get(key)
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def describe_quality(quality: dict[str, Any]) -> str:
    """The measures of the themes a reader checks first (all are in the report)."""
    return (
        f"keyword NPMI {_shown(quality, 'keyword_npmi')}, "
        f"diversity {_shown(quality, 'topic_diversity')}, "
        f"largest theme {_shown(quality, 'largest_theme_topic_share')} of topics, "
        f"firms per theme (median) {_shown(quality, 'firms_per_theme_median')}, "
        f"one-firm keywords {_shown(quality, 'theme_keywords_one_firm_share')}"
    )


def describe_names(quality: dict[str, Any]) -> str:
    """Name fit beside the keyword names a reader would otherwise have, and bad names."""
    return (
        f"theme fit@1 {_shown(quality, 'theme_name_fit_at1')} "
        f"(keyword names {_shown(quality, 'theme_keyword_name_fit_at1')}), "
        f"topic fit@1 {_shown(quality, 'topic_name_fit_at1')} "
        f"(keyword names {_shown(quality, 'topic_keyword_name_fit_at1')}), "
        f"unfinished or repeated {_shown(quality, 'unfinished_or_repeated_names')}, "
        f"fragments or copies {_shown(quality, 'fragment_or_copied_name_share')}"
    )


def describe_texts(quality: dict[str, Any]) -> str:
    """The LLM summaries and descriptions a reader could not use as written (shares)."""
    return (
        f"topic summaries cut off or looping "
        f"{_shown(quality, 'unfinished_or_looping_summary_share')}; theme descriptions cut off "
        f"or looping {_shown(quality, 'theme_unfinished_or_looping_description_share')}, "
        f"speaking as one firm {_shown(quality, 'theme_first_person_description_share')}, "
        f"retelling one topic {_shown(quality, 'theme_copied_description_share')}, "
        f"saying more than their topics "
        f"{_shown(quality, 'theme_unsupported_description_share')}; topic summaries saying more "
        f"than their sentences {_shown(quality, 'unsupported_summary_share')}"
    )


def describe_lineage(lineage: dict[str, Any]) -> str:
    """Themes per status against the previous quarter's run (`lineage.lineage_counts`), or
    why they were not linked."""
    if "error" in lineage:
        return f"not linked to the previous quarter: {lineage['error'][:200]}"
    counts = ", ".join(f"{lineage[status]} {status}" for status in schemas.LINEAGE_STATUSES)
    return (
        f"vs {lineage['previous_quarter']} run {lineage['previous_run_id']}: {counts} "
        f"({lineage['links']} link(s))"
    )


def describe_registry(registry: dict[str, Any]) -> str:
    """The quarter's themes per registry decision (`registry.DECISIONS`), or why none."""
    if "error" in registry:
        return f"not registered: {registry['error'][:200]} (`reduce-worker register` redoes it)"
    made = ", ".join(f"{registry[d]} {d}" for d in DECISIONS if registry.get(d))
    return f"{made or 'no theme'}; {registry['stable_themes']} stable theme(s) in the registry"


def render_summary(summary: ReduceSummary) -> str:
    lines = [
        f"reduce {summary.quarter} run {summary.run_id}"
        + (" (reduced before: nothing recomputed)" if summary.skipped else ""),
        f"  topics read     {summary.topics} of {summary.firms} firm(s)",
        f"  themes          {summary.themes} ({summary.in_themes} topics)",
        f"  firm-specific   {summary.firm_specific} topics in "
        f"{summary.firm_specific_groups} group(s) of one firm or under two shared words, "
        "no theme written",
        f"  filler          {summary.filler} topics in {summary.filler_groups} group(s) of "
        "hedging and turn-taking, no theme written",
        f"  unassigned      {summary.unassigned} topics (too far from their theme's centroid)",
        f"  time            clustering {summary.clustering_s:.1f}s, naming {summary.naming_s:.1f}s",
    ]
    if summary.procedure:
        lines.append(
            f"  call procedure  {summary.procedure['sentences']} sentence(s) of "
            f"{summary.procedure['firms']} firm(s) set aside (topic -1), not clustered"
        )
    for kept in summary.oversized_themes:
        lines.append(
            f"  large theme     {kept['topics']} topics kept whole above the limit of "
            f"{kept['limit']}: its topics are near duplicates"
        )
    if summary.quality:
        lines.append(f"  quality         {describe_quality(summary.quality)}")
        lines.append(f"  names           {describe_names(summary.quality)}")
        lines.append(f"  summaries       {describe_texts(summary.quality)}")
    if summary.lineage:
        lines.append(f"  lineage         {describe_lineage(summary.lineage)}")
    if summary.registry:
        lines.append(f"  stable ids      {describe_registry(summary.registry)}")
    if summary.exposure:
        lines.append(
            f"  exposure        {summary.exposure['rows']} (call, theme) row(s): "
            f"{summary.exposure['calls']} call(s), {summary.exposure['themes']} theme(s)"
        )
    if summary.llm:
        lines.append(f"  LLM             {describe_llm(summary.llm)}")
    if summary.fallbacks:
        lines.append(
            f"  keyword names   {len(summary.fallbacks)} theme(s) no LLM answer fitted, named "
            f"by their keyword phrases: {', '.join(summary.fallbacks[:10])}"
        )
    if summary.failures:
        lines.append(f"  NOT NAMED       {len(summary.failures)} theme(s); nothing written:")
        lines += [
            f"    - {f.theme_id} ({f.n_topics} topics, {f.n_firms} firms) "
            f"{f.error_type}: {f.message[:160]}"
            for f in summary.failures[:10]
        ]
    lines += [f"  output          {uri}" for uri in summary.outputs]
    lines.append(f"  report          {summary.report_uri}")
    return "\n".join(lines)


@group.command("register")
@click.option("--quarter", required=True, help="Calendar quarter, e.g. 2017Q1.")
@click.option("--again", is_flag=True, help="Assign the quarter's themes anew (new settings).")
def register_command(quarter: str, again: bool) -> None:
    """Give QUARTER's current themes their stable ids in the theme registry (reduce does
    this itself; this redoes it, e.g. for a quarter reduced before the registry existed)."""
    settings = load_settings(ReduceWorkerSettings)
    configure_logging(settings.ftm_log_format)
    store = ObjectStore.from_settings(settings)
    quarter = layout.validate_quarter(quarter)
    run_id = runs.current_run(store, quarter)
    if run_id is None:
        raise InputError(f"quarter {quarter} has no reduced run: `reduce-worker run` it first")
    summary = registered(
        store,
        Plan.load(store, quarter, run_id),
        store.read_parquet(layout.run_themes_key(quarter, run_id)),
        store.read_parquet(layout.run_theme_contributions_key(quarter, run_id)),
        settings,
        again=again,
    )
    click.echo(f"{quarter} run {run_id}: {describe_registry(summary)}")
    click.echo(f"  registry        {store.uri(layout.STABLE_THEMES_KEY)}")


@group.command("inputs")
@click.option("--quarter", required=True, help="Calendar quarter, e.g. 2017Q1.")
@click.option("--run-id", help=RUN_ID_HELP)
def inputs_command(quarter: str, run_id: str | None) -> None:
    """List the firm-topic parts the reduce stage would read for QUARTER."""
    # Only the bucket is needed here, not the LLM.
    store = ObjectStore.from_settings(load_settings(FtmSettings))
    plan = runs.reducible_run(store, layout.validate_quarter(quarter), run_id)
    keys = runs.run_parts(store, plan)
    for key in keys:
        click.echo(store.uri(key))
    click.echo(f"{len(keys)} firm-topic part(s) of run {plan.run_id} of {quarter}")


def main() -> None:
    run_cli(group, (LlmError,))
