"""`ftm export`: the command. The tables are built in `ftm_ops.export`, imported only when
the command runs: polars is loaded by that alone, so every other `ftm` command exits without
it (polars and pyarrow loaded together abort now and then at interpreter exit, polars issue
24169, which turned a clean `error:` exit 2 into -6)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ftm_ops.bucket import ready_store
from ftm_shared import layout
from ftm_shared.errors import InputError

Command = TypeVar("Command", bound=Callable[..., Any])

FORMATS = ("parquet", "csv")


def parse_quarters(value: str) -> list[str]:
    """`2017Q1,2017Q2` or `2015Q1..2018Q4` -> the quarters, in calendar order, each once."""
    if not value.strip():
        raise InputError("give at least one quarter, e.g. 2017Q1,2017Q2 or 2017Q1..2017Q4")
    return layout.parse_quarters(value)


def _quarters(value: str) -> list[str]:
    try:
        return parse_quarters(value)
    except InputError as error:
        raise click.BadParameter(str(error), param_hint="--quarters") from None


def require_writable(folder: Path) -> None:
    """Create `folder` and write a probe file in it before any table is read: an export that
    cannot be written is said first, in one line, not after the work as a traceback."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ftm-export-probe-"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise click.BadParameter(
            f"cannot write into {folder}: {reason}", param_hint="--to"
        ) from None


def _quarters_into_folder(written: str) -> Callable[[Command], Command]:
    """The quarters read (each from its current run) and the folder `written` goes into."""

    def options(function: Command) -> Command:
        function = click.option(
            "--to",
            "folder",
            required=True,
            type=click.Path(file_okay=False, path_type=Path),
            help=f"Folder to write {written} into (created; earlier files replaced).",
        )(function)
        return click.option(
            "--quarters",
            "quarters_text",
            required=True,
            help="Quarters, e.g. 2017Q1..2017Q4 or 2017Q1,2017Q3 (each from its current run).",
        )(function)

    return options


@click.command("export")
@_quarters_into_folder("the tables")
@click.option(
    "--format", "file_format", type=click.Choice(FORMATS), default="parquet", show_default=True
)
def export_command(quarters_text: str, folder: Path, file_format: str) -> None:
    """Write the exposure panel, themes, lineage, quotes and theme prevalence of QUARTERS."""
    quarters = _quarters(quarters_text)
    require_writable(folder)
    store = ready_store()
    from ftm_ops.export import export, render

    exported = export(store, quarters, folder, file_format)
    click.echo(f"export of {', '.join(quarters)} -> {folder}")
    click.echo("\n".join(render(exported)))


@click.command("panel")
@_quarters_into_folder("panel.parquet / .csv / .dta")
@click.option(
    "--format",
    "formats",
    multiple=True,
    default=("parquet", "csv", "dta"),
    show_default=True,
    help="parquet, csv or dta (Stata 14+, variables labelled); repeat for several.",
)
@click.option(
    "--fill-zeros",
    is_flag=True,
    help="Give every firm that held a call a zero row for each stable theme it never mentioned.",
)
def panel_command(
    quarters_text: str, folder: Path, formats: tuple[str, ...], fill_zeros: bool
) -> None:
    """Write the firm x quarter x stable theme panel of QUARTERS: exposure, risk exposure and
    sentiment on theme ids that mean the same subject in every quarter."""
    quarters = _quarters(quarters_text)
    from ftm_ops.panel import build, check_formats, render, write

    try:
        chosen = check_formats(formats)
    except InputError as error:
        raise click.BadParameter(str(error), param_hint="--format") from None
    require_writable(folder)
    panel = write(build(ready_store(), quarters, fill_zeros=fill_zeros), folder, chosen)
    click.echo(f"panel of {quarters[0]}..{quarters[-1]} -> {folder}")
    click.echo("\n".join(render(panel)))
