"""`ftm`: the operator's command line for the embedded local cloud, ingest and the smoke run."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import click

from ftm_local import cloud
from ftm_local.llm_server import LlmServerError, LocalLlmSettings
from ftm_local.process import ServerStartError
from ftm_ops import ingest as ingest_module
from ftm_ops.bucket import ready_store
from ftm_ops.cloud.cli import cloud as cloud_group
from ftm_ops.cloud.errors import CloudError
from ftm_ops.datasets.cli import data_group
from ftm_ops.export_command import export_command, panel_command
from ftm_ops.quarter.cli import quarter_group, runs_command
from ftm_ops.raw_summary import summarise_raw
from ftm_ops.validate import expectations_checklist
from ftm_shared.cli_support import run_cli
from ftm_shared.config import (
    ENV_FILE_NAME,
    FtmSettings,
    load_settings,
    read_env_file,
    read_settings,
    state_dir,
)
from ftm_shared.errors import InputError
from ftm_shared.layout import validate_quarter
from ftm_shared.logs import configure_logging


def _quarter(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return validate_quarter(value)
    except InputError as error:
        raise click.BadParameter(str(error)) from None


def _quarters(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    return tuple(_quarter(ctx, param, value) for value in values)


@click.group()
def main() -> None:
    """ftm: LLM-assisted ML pipelines on AWS, runnable end to end on this machine."""
    configure_logging()


@main.group()
def local() -> None:
    """The embedded local cloud: a moto server for S3/SSM on 127.0.0.1."""


@local.command("up")
@click.option("--bucket", default=cloud.DEFAULT_BUCKET, show_default=True)
@click.option("--llm/--no-llm", default=True, show_default=True, help="Also start the LLM server.")
def local_up(bucket: str, llm: bool) -> None:
    """Start (or reuse) the local cloud and write the env file services read."""
    started = cloud.up(bucket=bucket, with_llm=llm)
    click.echo(f"moto server  {started.endpoint_url}  (S3, SSM, EC2, ECS, ECR, STS, Batch, ...)")
    click.echo(f"bucket       s3://{started.bucket}")
    if llm:
        _echo_llm(read_env_file(state_dir() / ENV_FILE_NAME))
    click.echo(f"env file     {state_dir() / ENV_FILE_NAME}  (read by every ftm service)")


def _echo_llm(env: dict[str, str]) -> None:
    if "LLM_BASE_URL" in env:
        click.echo(f"LLM server   {env['LLM_BASE_URL']}  (model {env['LLM_MODEL']}, llama.cpp)")
    else:
        url = read_settings(LocalLlmSettings).llm_base_url
        click.echo(f"LLM server   not started: LLM_BASE_URL={url} is used")


@local.command("down")
def local_down() -> None:
    """Stop every server `ftm local up` started."""
    done = cloud.down()
    if not done:
        click.echo("nothing was running")
    for outcome in done:
        _echo_stopped(outcome)


def _echo_stopped(outcome: cloud.Stopped) -> None:
    click.echo(f"stopped: {outcome.name}" if outcome.stopped else f"{outcome.name}: {outcome.note}")


@local.command("status")
def local_status() -> None:
    """Show what runs, where, and since when."""
    _echo_status()


def _echo_status(only: str | None = None) -> None:
    servers = [s for s in cloud.status() if only is None or s.name == only]
    if not servers:
        click.echo("nothing running (start it with `ftm local up`)")
        return
    for server in servers:
        if server.record is None:
            click.echo(f"{server.name:8} {server.problem}")
            continue
        state = "up" if server.answering else ("not answering" if server.process_alive else "dead")
        since = time.strftime("%H:%M:%S", time.localtime(server.record.started_at))
        click.echo(
            f"{server.name:8} {state:14} pid {server.record.pid:<7} {server.record.url}"
            f"  since {since}  log {server.record.log_file}"
        )


@main.group()
def llm() -> None:
    """The local LLM server: llama.cpp serving Gemma 3 270M on 127.0.0.1 (vLLM's stand-in)."""


@llm.command("up")
def llm_up() -> None:
    """Start (or reuse) the LLM server and record its URL in the env file."""
    _echo_llm(cloud.llm_up())


@llm.command("down")
def llm_down() -> None:
    """Stop the LLM server `ftm llm up` started."""
    outcome = cloud.llm_down()
    if outcome is None:
        click.echo("the LLM server was not running")
    else:
        _echo_stopped(outcome)


@llm.command("status")
def llm_status() -> None:
    """Show whether the LLM server runs."""
    _echo_status(only="llm")


@llm.command("ask")
@click.argument("prompt")
@click.option("--max-tokens", default=64, show_default=True)
def llm_ask(prompt: str, max_tokens: int) -> None:
    """Send PROMPT as one chat completion to LLM_BASE_URL and print the answer."""
    import openai

    from ftm_shared.llm import LlmSettings

    settings = load_settings(LlmSettings)
    client = openai.OpenAI(base_url=settings.llm_base_url, api_key=settings.llm_api_key)
    started = time.perf_counter()
    reply = client.chat.completions.create(
        model=settings.llm_model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_tokens,
    )
    click.echo(reply.choices[0].message.content)
    click.echo(
        f"({settings.llm_model} at {settings.llm_base_url}, {time.perf_counter() - started:.1f}s)",
        err=True,
    )


@main.command("ingest")
@click.option("--quarter", required=True, callback=_quarter, help="Calendar quarter, e.g. 2017Q1.")
@click.option("--firms", type=int, default=None, help="Keep only the first N firms (by id).")
@click.option(
    "--firm-metadata",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV/Parquet with firm_id and any of firm_name, permno, gvkey, sector.",
)
@click.option(
    "--column",
    "column_specs",
    multiple=True,
    metavar="NAME=COLUMN",
    help="Read our column NAME from the file's COLUMN, e.g. --column text=body (repeatable).",
)
@click.option(
    "--source",
    "source_name",
    metavar="NAME",
    help="The name the source is kept under in the quarter (default: its file name); "
    "ingesting the same name again replaces it.",
)
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
def ingest_command(
    quarter: str,
    firms: int | None,
    firm_metadata: Path | None,
    column_specs: tuple[str, ...],
    source_name: str | None,
    sources: tuple[Path, ...],
) -> None:
    """Convert earnings-call SOURCES (Parquet, CSV, JSON Lines files; folders of .txt calls with
    a metadata.csv) into the raw-transcripts contract in the bucket, one source at a time."""
    if source_name is not None and len(sources) > 1:
        raise click.UsageError("--source names one source: ingest one file at a time with it")
    columns = ingest_module.parse_mapping(column_specs)
    store = ready_store()
    for source in sources:
        result = ingest_module.ingest(
            source,
            quarter,
            store,
            firms=firms,
            metadata_file=firm_metadata,
            columns=columns,
            name=source_name,
        )
        click.echo(
            f"{source.name}: {result.n_rows:,} rows, {result.n_calls} calls, "
            f"{result.n_firms} firms -> {result.uri}"
        )
        for note in (result.replaced_line(), result.unplaced_line()):
            if note is not None:
                click.secho(f"  {note}", fg="yellow")


@main.command("summary")
@click.option("--quarter", required=True, callback=_quarter)
def summary_command(quarter: str) -> None:
    """Read a quarter's raw transcripts back from the bucket and describe them."""
    store = ready_store()
    click.echo("\n".join(summarise_raw(store, quarter).lines()))


@main.command("validate")
@click.option("--quarter", required=True, callback=_quarter, help="Calendar quarter, e.g. 2017Q1.")
@click.option("--run-id", help="Validate this run (default: the quarter's current run).")
def validate_command(quarter: str, run_id: str | None) -> None:
    """Validate a quarter's outputs with the Great Expectations suites; write the data docs.

    Exits 1 when any criterion fails. The data docs go under FTM_GX_DIR (default .ftm/gx).
    """
    settings = load_settings(FtmSettings)
    ready_store(settings)
    checklist = expectations_checklist(settings, quarter, run_id)
    click.echo(checklist.render())
    if not checklist.passed:
        raise click.exceptions.Exit(1)


@main.command("smoke")
@click.option(
    "--quarter",
    "quarters",
    multiple=True,
    default=["2017Q1"],
    show_default=True,
    callback=_quarters,
    help="Quarter to run; repeat it to run several in calendar order and export them "
    "(lineage, prevalence over the quarters).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".ftm/smoke"),
    show_default=True,
    help="Where the smoke run's own local cloud, outputs, data docs and report go.",
)
@click.option(
    "--model-tester/--no-model-tester",
    default=True,
    show_default=True,
    help="Also train (or reuse) the demo LoRA adapter and score it against the base model.",
)
@click.option(
    "--tester-limit",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Held-back segments the demo scores both models on (a minute in all, warm).",
)
def smoke_command(
    quarters: tuple[str, ...], state_dir: Path, model_tester: bool, tester_limit: int
) -> None:
    """Run the whole pipeline on the embedded local cloud (SMOKE_FIRMS firms, default 25)."""
    from ftm_ops.smoke import SmokeOptions, run_smoke, smoke_firms

    options = SmokeOptions(quarters, smoke_firms(), state_dir, model_tester, tester_limit)
    if not run_smoke(options):
        raise click.exceptions.Exit(1)


main.add_command(cloud_group)
main.add_command(data_group)
main.add_command(runs_command)
main.add_command(quarter_group)
main.add_command(export_command)
main.add_command(panel_command)


def entrypoint() -> None:
    """`ftm`: run the command, then leave without the interpreter's teardown.

    pyarrow's C++ threads sometimes abort the process while Python finalises after a Parquet
    read ("terminate called without an active exception", apache/arrow#34314): a refused
    `ftm ingest` then exited -6 instead of 2 about one time in three here. Everything an `ftm`
    command starts (servers, services) it stops itself or leaves running on purpose, and it
    registers no exit handlers, so nothing is lost by skipping the teardown.
    """
    code: int = 0
    try:
        run_cli(
            main,
            (
                ingest_module.IngestError,
                cloud.LocalCloudError,
                LlmServerError,
                ServerStartError,
                CloudError,
            ),
        )
    except SystemExit as done:
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        code = done.code if isinstance(done.code, int) else int(done.code is not None)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entrypoint()
