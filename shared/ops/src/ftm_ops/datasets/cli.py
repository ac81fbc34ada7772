"""`ftm data`: where the data sets are, fetching the full sets, cutting the bundled sample."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from ftm_ops.datasets import maec
from ftm_ops.datasets.fetch import fetch
from ftm_ops.datasets.git import repository_url
from ftm_ops.datasets.notices import write_notices
from ftm_ops.datasets.registry import DATASETS
from ftm_ops.datasets.sample import cut_sample
from ftm_ops.datasets.source import Dataset, DatasetError
from ftm_ops.datasets.vocabulary import SOURCE, vocabulary_file
from ftm_shared.config import local_paths
from ftm_shared.data import FETCHED_SUBDIR, bundled_sample, data_location, earnings_call_file
from ftm_shared.errors import InputError
from ftm_shared.layout import QUARTER_PATTERN, quarters_between
from ftm_shared.llm.support import CALL_WORDS_FILE

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


def _quarter_range(first: str | None, to: str | None) -> tuple[str, str] | None:
    """`--from Q --to Q`: MAEC's quarters to build; None when no range is given."""
    ends_range = to is not None and QUARTER_PATTERN.match(to) is not None
    if first is None and ends_range:
        raise InputError(
            f"--to {to} ends a quarter range: give its first quarter too, e.g. --from 2015Q1 "
            f"(a folder of that name: --to ./{to})"
        )
    if first is None:
        return None
    if not ends_range:
        raise InputError(f"--from {first} starts a quarter range: end it with --to, e.g. 2018Q4")
    assert to is not None  # ends_range
    quarters_between(first, to)  # refuses a range that runs backwards, in one line
    return first, to


def _folder(to: str | None, into: Path | None, span: tuple[str, str] | None) -> Path:
    to_folder = None if span is not None or to is None else Path(to)
    if to_folder is not None and into is not None:
        raise InputError(f"give the data folder once: --to {to} or --into {into}")
    return to_folder or into or _default_target()


def _builds(chosen: list[str], span: tuple[str, str] | None) -> dict[str, Dataset]:
    builds = {name: DATASETS[name] for name in chosen}
    if span is not None:
        if "maec" not in builds:
            raise InputError("--from/--to choose MAEC's quarters: fetch maec with them")
        builds["maec"] = maec.dataset(*span)
    return builds


def _counts_line(counts: dict[str, int], expected: Mapping[str, int]) -> str:
    said = ", ".join(f"{n:,} {what}" for what, n in counts.items() if what not in expected)
    checked = ", ".join(f"{n:,} {what}" for what, n in counts.items() if what in expected)
    if not checked:
        return f"{said} (not checked: the release's counts for these quarters are not recorded)"
    return f"{said}; {checked} (as expected)" if said else f"{checked} (as expected)"


@data_group.command("fetch")
@click.argument("datasets", nargs=-1, type=click.Choice(sorted(DATASETS)))
@click.option(
    "--dataset",
    "names",
    multiple=True,
    type=click.Choice(sorted(DATASETS)),
    help="Only this data set (repeatable; or name them as arguments); default: all of them.",
)
@click.option(
    "--from",
    "first",
    metavar="QUARTER",
    default=None,
    help="MAEC: build the calls of the calendar quarters --from QUARTER --to QUARTER (e.g. "
    "2015Q1 to 2018Q4) into one file named after the range (maec_2015_2018_sentences.parquet); "
    "default: 2017Q1 to 2017Q2 (maec_2017h1_sentences.parquet).",
)
@click.option(
    "--to",
    "to",
    metavar="QUARTER|DIR",
    default=None,
    help="With --from: the range's last quarter. Otherwise the data folder to write; default: "
    "FTM_DATA_DIR if set, else FTM_CACHE_DIR/data.",
)
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The data folder to write, where --to ends a quarter range.",
)
@click.option(
    "--checkout",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Read this local checkout of the source at its pinned commit instead of downloading "
    "(exactly one --dataset).",
)
def fetch_command(
    datasets: tuple[str, ...],
    names: tuple[str, ...],
    first: str | None,
    to: str | None,
    into: Path | None,
    checkout: Path | None,
) -> None:
    """Build the normalised Parquet files from the public sources at their pinned commits.

    Only the paths read are downloaded (a shallow, sparse git checkout); the counts are checked
    against the whole public release before anything is written.
    """
    chosen = list(dict.fromkeys((*datasets, *names))) or sorted(DATASETS)
    if checkout is not None and len(chosen) != 1:
        raise click.UsageError("--checkout reads one source: give exactly one --dataset")
    try:
        span = _quarter_range(first, to)
        target = _folder(to, into, span)
        for name, dataset in _builds(chosen, span).items():
            source = dataset.source
            origin = checkout or f"{repository_url(source)} at {source.commit[:12]}"
            click.echo(f"{name}: {source.title}\n  from {origin} ...")
            done = fetch(dataset, target, checkout)
            click.echo(f"  {_counts_line(done.counts, source.expected)}")
            for line in done.described:
                click.echo(f"  {line}")
            for path in done.files:
                click.echo(f"  -> {path}")
    except (DatasetError, InputError) as error:
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


@data_group.command("vocabulary")
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=CALL_WORDS_FILE,
    show_default=True,
    help="Where to write the stems.",
)
def vocabulary_command(target: Path) -> None:
    """Rebuild the common call language the namers' word check allows (call_words.txt)."""
    target.write_text(vocabulary_file(earnings_call_file(SOURCE)), encoding="utf-8")
    click.echo(f"{target}: {target.read_text(encoding='utf-8').splitlines()[0]}")
