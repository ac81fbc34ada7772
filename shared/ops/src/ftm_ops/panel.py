"""The research panel (`ftm panel`): firm x quarter x stable theme, ready for a regression.

Each quarter is read from its current run: its exposure panel (one row per call and theme with
a non-zero exposure, `schemas.FIRM_THEME_EXPOSURE`), its firms (the published firm topics: a
firm mapped in the quarter held a call) and the theme registry's assignments of that run's
themes to stable ids (`processed/registry/`, written by reduce). A quarter whose registered run
is not its current run is refused, naming the command that registers it.

Per-quarter theme ids become stable ids; two themes of one quarter never share a stable id
(the registry assigns one each way), so a cell is one theme's measure, never a sum. With
`fill_zeros`, every firm that held a call in a quarter gets a row for every stable theme of the
panel that it has no row for: an unmentioned theme is a measured zero (`filled` = 1; sentiment
is missing there, having no sentences). `theme_in_quarter` says whether the theme was found in
that quarter at all, so a regression can keep to cells where it could have been measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ftm_ops.export import ExportError
from ftm_shared import layout, runs
from ftm_shared.errors import InputError
from ftm_shared.storage import ObjectStore

FORMATS = ("parquet", "csv", "dta")

# Column -> its label (the data dictionary in docs/research-outputs.md, and Stata's variable
# labels, at most 80 characters).
COLUMNS: dict[str, str] = {
    "firm_id": "Firm id (ticker or the source's id)",
    "firm_name": "Firm name, where given",
    "permno": "CRSP PERMNO, where given",
    "gvkey": "Compustat GVKEY, where given",
    "quarter": "Calendar quarter of the call, e.g. 2017Q1",
    "run_id": "ftm run whose themes and exposures these are",
    "call_id": "Earnings call id (missing for a call with no theme at all)",
    "earnings_call_date": "Date of the earnings call",
    "stable_theme_id": "Theme id, the same subject in every quarter (theme registry)",
    "stable_theme_name": "Name of the stable theme (as first named)",
    "theme_id": "The quarter's own theme id (missing in a filled cell)",
    "exposure": "Share of the call's substantive sentences in the theme",
    "risk_exposure": "Share in the theme and within 10 words of a risk word",
    "sentiment": "Loughran-McDonald (pos - neg) / words of the theme's sentences",
    "n_sentences": "The call's sentences in the theme",
    "theme_in_quarter": "1 if the theme was found in this quarter at all",
    "filled": "1 if this cell is a filled zero: the firm held a call, no sentence",
}
_FIRM = ["firm_id", "firm_name", "permno", "gvkey", "earnings_call_date"]


@dataclass
class Panel:
    table: pl.DataFrame
    quarters: list[str]
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)


def _quarter(
    store: ObjectStore, quarter: str, assignments: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The quarter's rows on stable ids, and its firms (each held a call)."""
    run_id = runs.current_run(store, quarter)
    if run_id is None:
        raise ExportError(
            f"quarter {quarter} has no reduced run: `ftm quarter run --quarter {quarter}` first"
        )
    mine = assignments.filter(pl.col("quarter") == quarter)
    registered = set(mine["run_id"].to_list())
    if registered != {run_id}:
        held = ", ".join(sorted(registered)) or "none"
        raise ExportError(
            f"quarter {quarter}: its current run is {run_id} but the theme registry holds "
            f"{held}: run `reduce-worker register --quarter {quarter}` to give its themes "
            "stable ids"
        )
    key = layout.run_exposure_key(quarter, run_id)
    if not store.exists(key):
        raise ExportError(
            f"quarter {quarter}: run {run_id} has no exposure panel ({store.uri(key)}): it was "
            f"reduced before reduce wrote one; `ftm quarter run --quarter {quarter} --new-run`"
        )
    exposure = pl.from_arrow(store.read_parquet(key))
    firms = pl.from_arrow(store.read_parquet(layout.published_firm_topics_key(quarter)))
    assert isinstance(exposure, pl.DataFrame) and isinstance(firms, pl.DataFrame)
    firms = (
        firms.select(_FIRM)
        .unique("firm_id")
        .with_columns(
            pl.col("firm_name").cast(pl.String), quarter=pl.lit(quarter), run_id=pl.lit(run_id)
        )
    )
    stable = mine.select("theme_id", "stable_theme_id")
    rows = (
        exposure.drop("permno", "gvkey", "earnings_call_date", strict=False)
        .join(stable, on="theme_id", how="left")
        .drop("quarter")
        .join(firms, on="firm_id", how="left")
        .with_columns(filled=pl.lit(False))
    )
    return rows, firms


def _fill(table: pl.DataFrame, firms: pl.DataFrame, themes: pl.DataFrame) -> pl.DataFrame:
    """Zero rows for every (firm that held a call, stable theme) cell the table lacks."""
    grid = firms.join(themes, how="cross")
    absent = grid.join(table, on=["quarter", "firm_id", "stable_theme_id"], how="anti")
    calls = table.group_by("quarter", "firm_id").agg(pl.col("call_id").first())
    zeros = absent.join(calls, on=["quarter", "firm_id"], how="left").with_columns(
        exposure=pl.lit(0.0),
        risk_exposure=pl.lit(0.0),
        sentiment=pl.lit(None, dtype=pl.Float64),
        n_sentences=pl.lit(0, dtype=pl.Int32),
        filled=pl.lit(True),
    )
    return pl.concat([table, zeros], how="diagonal_relaxed")


def build(store: ObjectStore, quarters: Sequence[str], *, fill_zeros: bool = False) -> Panel:
    assignments_key = layout.THEME_ASSIGNMENTS_KEY
    if not store.exists(assignments_key):
        raise ExportError(
            f"no theme registry at {store.uri(assignments_key)}: reduce a quarter first, or "
            "`reduce-worker register --quarter Q` for quarters reduced before it existed"
        )
    assignments = pl.from_arrow(store.read_parquet(assignments_key))
    stable = pl.from_arrow(store.read_parquet(layout.STABLE_THEMES_KEY))
    assert isinstance(assignments, pl.DataFrame) and isinstance(stable, pl.DataFrame)
    per_quarter = [_quarter(store, quarter, assignments) for quarter in quarters]
    table = pl.concat([rows for rows, _firms in per_quarter], how="diagonal_relaxed")
    if fill_zeros:
        firms = pl.concat([firms for _rows, firms in per_quarter], how="diagonal_relaxed")
        table = _fill(table, firms, table.select("stable_theme_id").unique())
    found = assignments.filter(pl.col("quarter").is_in(list(quarters))).select(
        "quarter", "stable_theme_id", theme_in_quarter=pl.lit(True)
    )
    table = (
        table.join(found.unique(), on=["quarter", "stable_theme_id"], how="left")
        .with_columns(pl.col("theme_in_quarter").fill_null(False))
        .join(
            stable.select("stable_theme_id", stable_theme_name="name"),
            on="stable_theme_id",
            how="left",
        )
        .select(list(COLUMNS))
        .sort("quarter", "firm_id", "stable_theme_id")
    )
    return Panel(table, list(quarters))


def write(panel: Panel, folder: Path, formats: Sequence[str]) -> Panel:
    """The panel in each of `formats` under `folder` (`panel.parquet`, `.csv`, `.dta`)."""
    for fmt in formats:
        path = folder / f"panel.{fmt}"
        if fmt == "parquet":
            panel.table.write_parquet(path)
        elif fmt == "csv":
            panel.table.write_csv(path)
        else:
            _write_stata(panel, path)
        panel.files[fmt] = path
    return panel


def _write_stata(panel: Panel, path: Path) -> None:
    """Stata 14+ (`.dta` 118, Unicode): flags as 0/1 bytes, missing ids as empty strings
    (Stata has no missing string), the date as a Stata date, every variable labelled."""
    frame = panel.table.with_columns(
        pl.col("theme_in_quarter", "filled").cast(pl.Int8),
        pl.col(pl.String).fill_null(""),
        pl.col("permno").cast(pl.Float64),
    ).to_pandas()
    frame["earnings_call_date"] = frame["earnings_call_date"].astype("datetime64[s]")
    first, last = panel.quarters[0], panel.quarters[-1]
    frame.to_stata(
        path,
        write_index=False,
        version=118,
        convert_dates={"earnings_call_date": "td"},
        variable_labels=COLUMNS,
        data_label=f"ftm theme panel {first}-{last}"[:80],
    )


def render(panel: Panel) -> list[str]:
    table = panel.table
    lines = [
        f"{table.height} row(s): {table['firm_id'].n_unique()} firm(s), "
        f"{table['stable_theme_id'].n_unique()} stable theme(s), "
        f"{len(panel.quarters)} quarter(s) ({', '.join(panel.quarters)})"
    ]
    if "filled" in table.columns and table["filled"].any():
        lines.append(f"{int(table['filled'].sum())} filled zero cell(s)")
    lines += [f"  {fmt:<8} {path}" for fmt, path in panel.files.items()]
    return lines + panel.notes


def check_formats(formats: Sequence[str]) -> list[str]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(f"unknown format {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(formats))
