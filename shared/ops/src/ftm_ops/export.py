"""The research tables of some quarters in one folder, ready to merge (`ftm export`,
`ftm_ops.export_command`).

The tables of some quarters in one folder, ready to merge.

Each quarter is read from its current run (`runs.current_run`), every table from that run's
own keys, so one export never mixes two runs of a quarter. The tables and their columns are
the data dictionary (docs/research-outputs.md, "Exported tables"); names and order are fixed
here (`COLUMNS`), so a script written against one export reads the next.

Theme prevalence is computed here from the contributions: a call has a theme when one of its
firm's topics is a member; shares are over the quarter's mapped calls and firms (the run's
firm topics, the call procedure row included, so a firm whose every sentence was procedure
still counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ftm_shared import layout, runs, schemas
from ftm_shared.errors import InputError
from ftm_shared.storage import ObjectStore

# Joins a list column (theme keywords) into one CSV cell.
CSV_LIST_SEPARATOR = "; "

COLUMNS: dict[str, list[str]] = {
    "exposure": list(schemas.FIRM_THEME_EXPOSURE.names),
    "themes": [
        "quarter",
        "run_id",
        "theme_id",
        "stable_theme_id",
        "name",
        "description",
        "naming_method",
        "keywords",
        "n_firms",
        "n_topics",
    ],
    "lineage": [
        "quarter",
        "theme_id",
        "theme_name",
        "previous_quarter",
        "previous_run_id",
        "previous_theme_id",
        "previous_theme_name",
        "similarity",
        "status",
    ],
    "quotes": [
        "quarter",
        "theme_id",
        "rank",
        "firm_id",
        "firm_name",
        "permno",
        "gvkey",
        "earnings_call_date",
        "topic_id",
        "similarity",
        "text",
    ],
    "prevalence": [
        "quarter",
        "theme_id",
        "theme_name",
        "n_calls",
        "share_calls",
        "n_firms",
        "share_firms",
        "mean_exposure",
    ],
}
# What the run may lack (reduced before reduce wrote it): table -> (its key, what it is).
OPTIONAL = {
    "exposure": (layout.run_exposure_key, "exposure panel"),
    "quotes": (layout.run_theme_quotes_key, "supporting quotes"),
    "lineage": (layout.run_theme_lineage_key, "lineage"),
}
_CALL = ["firm_id", "earnings_call_date"]


class ExportError(InputError):
    """A quarter asked for cannot be exported; the message says why and what to run."""


@dataclass
class Exported:
    tables: dict[str, pl.DataFrame]
    notes: list[str] = field(default_factory=list)
    """What is missing (a quarter without a panel, lineage or quotes) and why."""
    files: dict[str, Path] = field(default_factory=dict)


def _read(store: ObjectStore, key: str) -> pl.DataFrame | None:
    if not store.exists(key):
        return None
    frame = pl.from_arrow(store.read_parquet(key))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _conform(frames: Sequence[pl.DataFrame], name: str) -> pl.DataFrame:
    """The frames stacked, with exactly `COLUMNS[name]` in order (an absent one null)."""
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(COLUMNS[name], pl.String))
    stacked = pl.concat(frames, how="diagonal_relaxed")
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in COLUMNS[name] if c not in stacked]
    return stacked.with_columns(missing).select(COLUMNS[name])


def _quarter_tables(store: ObjectStore, quarter: str, notes: list[str]) -> dict[str, pl.DataFrame]:
    run_id = runs.current_run(store, quarter)
    if run_id is None:
        raise ExportError(
            f"quarter {quarter} has no reduced run to export: run it first "
            f"(`ftm quarter run --quarter {quarter}`; `ftm runs --quarter {quarter}` lists runs)"
        )
    themes = _read(store, layout.run_themes_key(quarter, run_id))
    contributions = _read(store, layout.run_theme_contributions_key(quarter, run_id))
    firm_topics = _read(store, layout.published_firm_topics_key(quarter))
    if themes is None or contributions is None or firm_topics is None:
        where = store.uri(layout.run_prefix(quarter, run_id))
        raise ExportError(
            f"quarter {quarter}: run {run_id} is current but its themes or contributions "
            f"(under {where}) or its published firm topics are missing"
        )
    tables = {
        "themes": themes.with_columns(quarter=pl.lit(quarter), run_id=pl.lit(run_id)),
        "contributions": contributions,
        "calls": firm_topics.select(_CALL).unique(),
    }
    for name, (key, what) in OPTIONAL.items():
        frame = _read(store, key(quarter, run_id))
        if frame is None:
            notes.append(f"{quarter}: no {what} in run {run_id} (reduced before reduce wrote it)")
        elif name == "lineage" and frame.height == 0:
            notes.append(f"{quarter}: no lineage (no run of the quarter before when reduced)")
        else:
            tables[name] = frame.with_columns(quarter=pl.lit(quarter))
    return tables


def prevalence(
    themes: pl.DataFrame,
    contributions: pl.DataFrame,
    calls: pl.DataFrame,
    exposure: pl.DataFrame | None,
) -> pl.DataFrame:
    """One quarter, a row per theme: calls and firms with it, their shares of the quarter's
    calls and firms, and its mean exposure over all the quarter's calls (null without a panel)."""
    n_calls, n_firms = max(calls.height, 1), max(calls["firm_id"].n_unique(), 1)
    counted = contributions.group_by("theme_id").agg(
        n_calls=pl.struct(_CALL).n_unique(), n_firms=pl.col("firm_id").n_unique()
    )
    table = themes.select("quarter", "theme_id", theme_name="name").join(
        counted, on="theme_id", how="left"
    )
    if exposure is None:
        table = table.with_columns(mean_exposure=pl.lit(None, dtype=pl.Float64))
    else:
        totals = exposure.group_by("theme_id").agg(total=pl.col("exposure").sum())
        table = table.join(totals, on="theme_id", how="left").with_columns(
            mean_exposure=pl.col("total").fill_null(0.0) / n_calls
        )
    table = table.with_columns(pl.col("n_calls", "n_firms").fill_null(0).cast(pl.Int64))
    return table.with_columns(
        share_calls=pl.col("n_calls") / n_calls, share_firms=pl.col("n_firms") / n_firms
    ).select(COLUMNS["prevalence"])


def _theme_names(store: ObjectStore, lineage: pl.DataFrame, themes: pl.DataFrame) -> pl.DataFrame:
    """Names of the exported themes and of any previous-quarter theme outside the export."""
    names = [themes.select("theme_id", "name")]
    exported = set(themes["quarter"].to_list())
    linked = lineage.select("previous_quarter", "previous_run_id").unique()
    for previous, run_id in linked.iter_rows():
        frame = (
            None if previous in exported else _read(store, layout.run_themes_key(previous, run_id))
        )
        if frame is not None:
            names.append(frame.select("theme_id", "name"))
    return pl.concat(names).unique("theme_id")


def _named(lineage: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    return lineage.join(names.rename({"name": "theme_name"}), on="theme_id", how="left").join(
        names.rename({"theme_id": "previous_theme_id", "name": "previous_theme_name"}),
        on="previous_theme_id",
        how="left",
    )


def _stale(store: ObjectStore, lineage: pl.DataFrame) -> list[str]:
    """Lineages computed against a run of the previous quarter that is no longer current."""
    notes = []
    linked = lineage.select("quarter", "previous_quarter", "previous_run_id").unique()
    for quarter, previous, run_id in linked.sort("quarter").iter_rows():
        now = runs.current_run(store, previous)
        if now != run_id:
            notes.append(
                f"{quarter}: its lineage links to run {run_id} of {previous}, whose current "
                f"run is now {now}: reduce a new run of {quarter} to link to it"
            )
    return notes


def _stable_ids(store: ObjectStore, themes: pl.DataFrame) -> pl.DataFrame:
    """Each theme with its stable id from the theme registry, where its run is registered."""
    registered = _read(store, layout.THEME_ASSIGNMENTS_KEY)
    if registered is None:
        return themes.with_columns(stable_theme_id=pl.lit(None, dtype=pl.String))
    ids = registered.select("quarter", "run_id", "theme_id", "stable_theme_id")
    return themes.join(ids, on=["quarter", "run_id", "theme_id"], how="left")


def collect(store: ObjectStore, quarters: Sequence[str]) -> Exported:
    """Every exported table of `quarters`, in memory."""
    notes: list[str] = []
    per_quarter = [_quarter_tables(store, quarter, notes) for quarter in quarters]
    themes = _stable_ids(
        store, pl.concat([q["themes"] for q in per_quarter], how="diagonal_relaxed")
    )
    lineage = [q["lineage"] for q in per_quarter if "lineage" in q]
    if lineage:
        stacked = pl.concat(lineage, how="diagonal_relaxed")
        notes += _stale(store, stacked)
        lineage = [_named(stacked, _theme_names(store, stacked, themes))]
    tables = {
        "exposure": _conform([q["exposure"] for q in per_quarter if "exposure" in q], "exposure"),
        "themes": _conform([themes], "themes"),
        "lineage": _conform(lineage, "lineage"),
        "quotes": _conform([q["quotes"] for q in per_quarter if "quotes" in q], "quotes"),
        "prevalence": pl.concat(
            prevalence(q["themes"], q["contributions"], q["calls"], q.get("exposure"))
            for q in per_quarter
        ),
    }
    return Exported(tables, notes)


def over_quarters(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each lineage link (and new or vanished theme) with both sides' share of calls."""
    shares = tables["prevalence"].select("quarter", "theme_id", "share_calls")
    return (
        tables["lineage"]
        .join(shares, on=["quarter", "theme_id"], how="left")
        .join(
            shares.rename(
                {
                    "quarter": "previous_quarter",
                    "theme_id": "previous_theme_id",
                    "share_calls": "previous_share_calls",
                }
            ),
            on=["previous_quarter", "previous_theme_id"],
            how="left",
        )
        .sort(["quarter", "theme_id", "previous_theme_id"], nulls_last=True)
    )


def write(exported: Exported, folder: Path, file_format: str) -> dict[str, Path]:
    """Each table as `{name}.{file_format}` in `folder` (replacing an earlier export's)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in exported.tables.items():
        target = folder / f"{name}.{file_format}"
        if file_format == "csv":
            lists = [c for c, kind in table.schema.items() if isinstance(kind, pl.List)]
            table.with_columns(pl.col(lists).list.join(CSV_LIST_SEPARATOR)).write_csv(target)
        else:
            table.write_parquet(target)
        exported.files[name] = target
    return exported.files


def export(store: ObjectStore, quarters: Sequence[str], folder: Path, file_format: str) -> Exported:
    exported = collect(store, quarters)
    write(exported, folder, file_format)
    return exported


def render(exported: Exported) -> list[str]:
    """The files written, what is missing, and theme prevalence over the quarters."""
    lines = [
        f"  {name:11} {exported.tables[name].height:7,} rows  {path}"
        for name, path in exported.files.items()
    ]
    lines += [f"  note: {note}" for note in exported.notes]
    lines.append("theme prevalence (share of the quarter's calls with the theme):")
    for row in exported.tables["prevalence"].iter_rows(named=True):
        lines.append(
            f"  {row['quarter']}  {row['theme_id']:20} {row['share_calls']:6.1%} of calls, "
            f"{row['share_firms']:6.1%} of firms  {row['theme_name']}"
        )
    if exported.tables["lineage"].height:
        lines.append("over quarters (lineage; share of calls before -> after):")
        for row in over_quarters(exported.tables).iter_rows(named=True):
            lines.append(f"  {_link(row)}")
    return lines


def _link(row: dict[str, object]) -> str:
    def side(prefix: str) -> str:
        if row[f"{prefix}theme_id"] is None:
            return "-"
        share = row[f"{prefix}share_calls"]
        shown = "" if share is None else f" {share:.1%}"
        return f"{row[f'{prefix}theme_id']} {str(row[f'{prefix}theme_name'])[:40]!r}{shown}"

    similarity = row["similarity"]
    linked = "" if similarity is None else f", similarity {similarity:.2f}"
    return f"{side('previous_')} -> {side('')}  ({row['status']}{linked})"
