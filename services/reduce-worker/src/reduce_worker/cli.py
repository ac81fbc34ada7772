"""`reduce-worker` (also `python -m reduce_worker`, the container's entrypoint)."""

from __future__ import annotations

import click

from ftm_shared import layout
from ftm_shared.cli_support import run_cli, service_group
from ftm_shared.config import load_settings
from ftm_shared.storage import ObjectStore
from reduce_worker.config import ReduceWorkerSettings


@service_group(
    "reduce-worker",
    "Cross-firm themes from the map stage's topics. `run` arrives with the reduce issue.",
    ReduceWorkerSettings,
)
def group() -> None:
    pass


@group.command("inputs")
@click.option("--quarter", required=True, help="Calendar quarter, e.g. 2017Q1.")
def inputs_command(quarter: str) -> None:
    """List the firm-topic parts the reduce stage would read for QUARTER."""
    store = ObjectStore.from_settings(load_settings(ReduceWorkerSettings))
    keys = store.parquet_keys(layout.firm_topics_prefix(layout.validate_quarter(quarter)))
    for key in keys:
        click.echo(store.uri(key))
    click.echo(f"{len(keys)} firm-topic part(s) for {quarter}")


def main() -> None:
    run_cli(group, (ValueError,))
