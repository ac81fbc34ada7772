"""`ftm`: the operator's command line for the embedded local cloud, ingest and the smoke run."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ftm_shared import ingest as ingest_module
from ftm_shared.cli_support import run_cli
from ftm_shared.config import FtmSettings, load_settings, state_dir
from ftm_shared.layout import validate_quarter
from ftm_shared.local import cloud
from ftm_shared.local.process import ServerStartError
from ftm_shared.logs import configure_logging
from ftm_shared.raw_summary import summarise_raw
from ftm_shared.storage import ObjectStore


def _quarter(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return validate_quarter(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.group()
def main() -> None:
    """ftm: LLM-assisted ML pipelines on AWS, runnable end to end on this machine."""
    configure_logging()


@main.group()
def local() -> None:
    """The embedded local cloud: a moto server for S3/SSM on 127.0.0.1."""


@local.command("up")
@click.option("--bucket", default=cloud.DEFAULT_BUCKET, show_default=True)
def local_up(bucket: str) -> None:
    """Start (or reuse) the local cloud and write the env file services read."""
    started = cloud.up(bucket=bucket)
    click.echo(f"moto server  {started.endpoint_url}  (S3, SSM, EC2, ECS, ECR, STS, Batch, ...)")
    click.echo(f"bucket       s3://{started.bucket}")
    click.echo(f"env file     {state_dir() / 'local.env'}  (read by every ftm service)")


@local.command("down")
def local_down() -> None:
    """Stop every server `ftm local up` started."""
    stopped = cloud.down()
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@local.command("status")
def local_status() -> None:
    """Show what runs, where, and since when."""
    servers = cloud.status()
    if not servers:
        click.echo("nothing running (start it with `ftm local up`)")
        return
    for server in servers:
        state = "up" if server.answering else ("not answering" if server.process_alive else "dead")
        since = time.strftime("%H:%M:%S", time.localtime(server.record.started_at))
        click.echo(
            f"{server.record.name:8} {state:14} pid {server.record.pid:<7} {server.record.url}"
            f"  since {since}  log {server.record.log_file}"
        )


@main.command("ingest")
@click.option("--quarter", required=True, callback=_quarter, help="Calendar quarter, e.g. 2017Q1.")
@click.option("--firms", type=int, default=None, help="Keep only the first N firms (by id).")
@click.option(
    "--firm-metadata",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV/Parquet with firm_id and any of firm_name, permno, gvkey, sector.",
)
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
def ingest_command(
    quarter: str, firms: int | None, firm_metadata: Path | None, sources: tuple[Path, ...]
) -> None:
    """Convert earnings-call Parquet SOURCES into the raw-transcripts contract in the bucket."""
    store = ObjectStore.from_settings(load_settings(FtmSettings))
    for source in sources:
        result = ingest_module.ingest(
            source, quarter, store, firms=firms, metadata_file=firm_metadata
        )
        click.echo(
            f"{source.name}: {result.n_rows:,} rows, {result.n_calls} calls, "
            f"{result.n_firms} firms -> {result.uri}"
        )


@main.command("summary")
@click.option("--quarter", required=True, callback=_quarter)
def summary_command(quarter: str) -> None:
    """Read a quarter's raw transcripts back from the bucket and describe them."""
    store = ObjectStore.from_settings(load_settings(FtmSettings))
    click.echo("\n".join(summarise_raw(store, quarter).lines()))


@main.command("smoke")
@click.option("--quarter", default="2017Q1", show_default=True, callback=_quarter)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".ftm/smoke"),
    show_default=True,
    help="Where the smoke run's own local cloud keeps its files.",
)
def smoke_command(quarter: str, state_dir: Path) -> None:
    """Run the whole pipeline on the embedded local cloud (SMOKE_FIRMS firms, default 25)."""
    from ftm_shared.smoke import run_smoke, smoke_firms

    run_smoke(quarter, smoke_firms(), state_dir)


def entrypoint() -> None:
    run_cli(main, (ingest_module.IngestError, cloud.LocalCloudError, ServerStartError))


if __name__ == "__main__":
    entrypoint()
