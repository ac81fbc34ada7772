"""`ftm export`: the command. The tables are built in `ftm_ops.export`, imported only when
the command runs: polars is loaded by that alone, so every other `ftm` command exits without
it (polars and pyarrow loaded together abort now and then at interpreter exit, polars issue
24169, which turned a clean `error:` exit 2 into -6)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ftm_ops.bucket import ready_store
from ftm_shared import layout
from ftm_shared.errors import InputError

FORMATS = ("parquet", "csv")


def parse_quarters(value: str) -> list[str]:
    """`2017Q1,2017Q2` -> both, validated, in calendar order, each once."""
    quarters = sorted({layout.validate_quarter(q.strip()) for q in value.split(",") if q.strip()})
    if not quarters:
        raise InputError("give at least one quarter, e.g. 2017Q1,2017Q2")
    return quarters


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


@click.command("export")
@click.option(
    "--quarters",
    "quarters_text",
    required=True,
    help="Comma-separated quarters, e.g. 2017Q1,2017Q2 (each read from its current run).",
)
@click.option(
    "--to",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the tables into (created; earlier files of the same names replaced).",
)
@click.option(
    "--format", "file_format", type=click.Choice(FORMATS), default="parquet", show_default=True
)
def export_command(quarters_text: str, folder: Path, file_format: str) -> None:
    """Write the exposure panel, themes, lineage, quotes and theme prevalence of QUARTERS."""
    try:
        quarters = parse_quarters(quarters_text)
    except InputError as error:
        raise click.BadParameter(str(error), param_hint="--quarters") from None
    require_writable(folder)
    store = ready_store()
    from ftm_ops.export import export, render

    exported = export(store, quarters, folder, file_format)
    click.echo(f"export of {', '.join(quarters)} -> {folder}")
    click.echo("\n".join(render(exported)))
