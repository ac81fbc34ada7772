"""`ftm data`: where the data sets are, fetching the full sets, cutting the bundled sample."""

from __future__ import annotations

from pathlib import Path

import click

from ftm_ops.datasets.fetch import fetch
from ftm_ops.datasets.git import repository_url
from ftm_ops.datasets.notices import write_notices
from ftm_ops.datasets.registry import DATASETS
from ftm_ops.datasets.sample import cut_sample
from ftm_ops.datasets.source import DatasetError
from ftm_shared.config import local_paths
from ftm_shared.data import FETCHED_SUBDIR, bundled_sample, data_location

# An error that is the user's to fix (no network, a wrong checkout): one line, exit 2.
INPUT_ERROR = 2


def _default_target() -> Path:
    paths = local_paths()
    return paths.ftm_data_dir or paths.ftm_cache_dir / FETCHED_SUBDIR


@click.group("data")
def data_group() -> None:
    """The data sets: where they are found, the full sets from their sources, the sample."""


@data_group.command("where")
def where_command() -> None:
    """Print the data folder commands and tests use, and how it was found."""
    click.echo(data_location().describe())


@data_group.command("fetch")
@click.option(
    "--dataset",
    "names",
    multiple=True,
    type=click.Choice(sorted(DATASETS)),
    help="Only this data set (repeatable); default: all of them.",
)
@click.option(
    "--to",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder to write; default: FTM_DATA_DIR if set, else FTM_CACHE_DIR/data.",
)
@click.option(
    "--checkout",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Read this local checkout of the source at its pinned commit instead of downloading "
    "(exactly one --dataset).",
)
def fetch_command(names: tuple[str, ...], target: Path | None, checkout: Path | None) -> None:
    """Build the normalised Parquet files from the public sources at their pinned commits.

    Only the paths read are downloaded (a shallow, sparse git checkout); the counts are checked
    against the whole public release before anything is written.
    """
    chosen = list(names) or sorted(DATASETS)
    if checkout is not None and len(chosen) != 1:
        raise click.UsageError("--checkout reads one source: give exactly one --dataset")
    target = target or _default_target()
    try:
        for name in chosen:
            source = DATASETS[name].source
            origin = checkout or f"{repository_url(source)} at {source.commit[:12]}"
            click.echo(f"{name}: {source.title}\n  from {origin} ...")
            done = fetch(DATASETS[name], target, checkout)
            counts = ", ".join(f"{value:,} {what}" for what, value in done.counts.items())
            click.echo(f"  {counts} (as expected)")
            for path in done.files:
                click.echo(f"  -> {path}")
    except DatasetError as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(INPUT_ERROR) from None
    notices = write_notices(target)
    click.echo(f"licences and attribution: {', '.join(str(p) for p in notices)}")


@data_group.command("sample")
@click.option(
    "--from",
    "full",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="A folder with the full sets (e.g. ../shared/data or what `ftm data fetch` wrote).",
)
@click.option(
    "--to",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Default: the repository's shared/sample-data.",
)
def sample_command(full: Path, target: Path | None) -> None:
    """Cut the sample committed in the repository from the full sets."""
    target = target or bundled_sample()
    if target is None:
        raise click.UsageError("no shared/sample-data here: give --to")
    for relative, rows in cut_sample(full, target).items():
        size = (target / relative).stat().st_size
        click.echo(f"{relative}: {rows:,} rows, {size / 1024:,.0f} KiB")
