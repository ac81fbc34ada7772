"""What a source must satisfy before anything is written: every check names the file, the
column and the rows, and runs on the whole file (a file is good or refused as a whole)."""

from __future__ import annotations

import numbers
import re

import pandas as pd

from ftm_ops.ingest.columns import DATE_COLUMNS, REQUIRED_COLUMNS
from ftm_ops.ingest.source import IngestError, Source
from ftm_shared import layout
from ftm_shared.errors import InputError

INT32_MAX = 2**31 - 1
# Read as text whatever the file held (a JSON number as speaker, say): the contract's types.
TEXT_COLUMNS = ("call_id", "firm_id", "quarter", "speaker", "firm_name", "sector")
# Compustat's firm key: six digits, zero-padded ("001690"); a file or spreadsheet that held it
# as a number dropped the zeros, which are put back.
GVKEY = re.compile(r"[0-9]{1,6}")


def check_paragraphs(source: Source) -> Source:
    """A paragraph table ready for the contract: ids, text, integer para_idx (each (call_id,
    para_idx) once), one firm and one date per call, integer permno, and a quarter, taken from
    the call date where the file has no `quarter` column."""
    derive_quarter = "quarter" not in source.frame.columns and date_column(source) is not None
    required = [c for c in REQUIRED_COLUMNS if not (c == "quarter" and derive_quarter)]
    _require_columns(source, required)
    source = _with_gvkeys(source.with_frame(_as_text(source.frame)))
    _check_ids(source)
    _check_text(source)
    frame = source.frame.assign(para_idx=integers(source, "para_idx", required=True))
    if "permno" in frame.columns:
        frame = frame.assign(permno=integers(source, "permno", required=False, minimum=1))
    source = source.with_frame(frame)
    _check_unique(source, ["call_id", "para_idx"], "repeat")
    dates = call_dates(source)
    _check_one_per_call(source, "firm_id", frame["firm_id"])
    if (column := date_column(source)) is not None:
        _check_one_per_call(source, column, dates.astype("string"))
    quarters = pd.to_datetime(dates).dt.to_period("Q").astype("string")
    if derive_quarter:
        _require_values(source, str(date_column(source)), "is empty (the quarter comes from it)")
        return source.with_frame(frame.assign(quarter=quarters))
    _check_quarters(source, quarters)
    return source


def _check_quarters(source: Source, calendar: pd.Series) -> None:
    """A `quarter` that is its call date's calendar quarter, where the file has dates: a value
    off by a typo would put the call into another quarter's run. (A value that is no quarter
    at all, "Q2" or "2017Q5", leaves its call out of every run: `unplaced_calls` says so.)"""
    quarters = source.frame["quarter"]
    column = date_column(source)
    disagree = source.frame.index[calendar.notna() & (calendar.fillna("") != quarters)]
    if column is not None and len(disagree):
        first = disagree[0]
        raise source.error(
            "quarter",
            f"disagrees with {column!r}, the call's calendar quarter ({quarters[first]!r} for a "
            f"call on {source.frame.loc[first, column]}; drop the quarter column to take each "
            "call's quarter from its date)",
            disagree,
        )


def unplaced_calls(frame: pd.DataFrame) -> dict[str, str]:
    """Each call whose `quarter` is no quarter like 2017Q1: its call_id and that value."""
    placed = frame["quarter"].map(
        lambda q: isinstance(q, str) and bool(layout.QUARTER_PATTERN.match(q))
    )
    unplaced = frame.loc[~placed.astype(bool)].drop_duplicates("call_id")
    return {
        str(c): "" if pd.isna(q) else str(q)
        for c, q in zip(unplaced["call_id"], unplaced["quarter"], strict=True)
    }


def check_calls_table(source: Source) -> Source:
    """A table with one row per call: `call_id`, `firm_id`, a call date; optional firm fields."""
    column = date_column(source)
    _require_columns(source, ["call_id", "firm_id", column or DATE_COLUMNS[0]])
    source = _with_gvkeys(source.with_frame(_as_text(source.frame)))
    _check_ids(source)
    _check_unique(source, ["call_id"], "repeats")
    _require_values(source, str(column), "is empty")
    call_dates(source)
    if "permno" in source.frame.columns:
        permno = integers(source, "permno", required=False, minimum=1)
        source = source.with_frame(source.frame.assign(permno=permno))
    return source


def date_column(source: Source) -> str | None:
    return next((c for c in DATE_COLUMNS if c in source.frame.columns), None)


def call_dates(source: Source) -> pd.Series:
    """Each row's call date (`call_date` or `earnings_call_date`, YYYY-MM-DD), NaT if none."""
    frame = source.frame
    column = date_column(source)
    if column is None:
        return pd.Series(pd.NaT, index=frame.index)
    parsed = pd.to_datetime(frame[column], errors="coerce", format="%Y-%m-%d")
    bad = frame.index[parsed.isna() & frame[column].notna()]
    if len(bad):
        raise source.error(column, "holds values that are not YYYY-MM-DD dates", bad)
    return parsed.dt.date


def integers(
    source: Source, column: str, *, required: bool, minimum: int = 0, maximum: int = INT32_MAX
) -> pd.Series:
    values = source.frame[column]
    # A JSON `true` would otherwise count as 1.
    numbers = pd.to_numeric(values.map(lambda v: None if isinstance(v, bool) else v), "coerce")
    missing = values.isna()
    if required and missing.any():
        raise source.error(column, "is empty", source.frame.index[missing])
    good = missing | ((numbers % 1 == 0) & (numbers >= minimum) & (numbers <= maximum))
    bad = source.frame.index[~good.astype(bool)]
    if len(bad):
        shown = ", ".join(repr(v) for v in values.loc[bad[:3]])
        raise source.error(
            column,
            f"holds values that are not whole numbers from {minimum} to {maximum} ({shown})",
            bad,
        )
    return numbers.astype("Int64")


def gvkeys(source: Source) -> pd.Series:
    """The `gvkey` column as six zero-padded digits, whether the file held text ("001690",
    "1690") or numbers (1690, or 1690.0 where a null made the column float)."""
    values = source.frame["gvkey"]
    keys = values.map(_gvkey)
    bad = source.frame.index[values.notna() & keys.isna()]
    if len(bad):
        shown = ", ".join(repr(v) for v in values.loc[bad[:3]])
        raise source.error(
            "gvkey", f"holds values that are not gvkeys (up to six digits: 001690) ({shown})", bad
        )
    return keys.astype("string")


def _gvkey(value: object) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, str)):
        return None
    text = str(value).strip()
    return text.zfill(6) if GVKEY.fullmatch(text) else None


def _with_gvkeys(source: Source) -> Source:
    if "gvkey" not in source.frame.columns:
        return source
    return source.with_frame(source.frame.assign(gvkey=gvkeys(source)))


def _require_columns(source: Source, required: list[str]) -> None:
    missing = [column for column in required if column not in source.frame.columns]
    if "quarter" in missing:
        missing[missing.index("quarter")] = f"quarter (or {' or '.join(DATE_COLUMNS)})"
    if missing:
        raise IngestError(
            f"{source.path}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(str, source.frame.columns))})"
        )


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    mixed = [
        c for c in TEXT_COLUMNS if c in frame.columns and not pd.api.types.is_string_dtype(frame[c])
    ]
    return frame.assign(**{c: frame[c].map(_text_or_missing) for c in mixed})


def _text_or_missing(value: object) -> object:
    missing = value is None or value is pd.NA or (isinstance(value, float) and value != value)
    return None if missing else str(value)


def _require_values(source: Source, column: str, problem: str) -> None:
    values = source.frame[column]
    blank = source.frame.index[values.isna() | (values.astype("string").str.strip() == "")]
    if len(blank):
        raise source.error(column, problem, blank)


def _check_ids(source: Source) -> None:
    for column in ("call_id", "firm_id"):
        _require_values(source, column, "is empty")
    for firm_id in source.frame["firm_id"].unique():
        try:
            layout.safe_segment(str(firm_id), "firm_id")
        except InputError as error:
            raise IngestError(f"{source.path}: column 'firm_id': {error}") from None


def _check_text(source: Source) -> None:
    text = source.frame["text"]
    not_text = source.frame.index[text.notna() & ~text.map(lambda v: isinstance(v, str))]
    if len(not_text):
        raise source.error("text", "holds values that are not strings", not_text)
    _require_values(source, "text", "is empty")


def _check_unique(source: Source, key: list[str], verb: str) -> None:
    repeated = source.frame.duplicated(key, keep=False)
    if repeated.any():
        first = source.frame.loc[repeated, key].iloc[0]
        what = ", ".join(f"{c} {first[c]}" for c in key)
        columns = ", ".join(repr(c) for c in key)
        raise IngestError(
            f"{source.path}: column(s) {columns} {verb} ({what}) in "
            f"{source.rows(source.frame.index[repeated])}"
        )


def _check_one_per_call(source: Source, column: str, values: pd.Series) -> None:
    counts = values.groupby(source.frame["call_id"]).nunique()
    mixed = counts.index[counts > 1]
    if len(mixed):
        rows = source.frame.index[source.frame["call_id"] == mixed[0]]
        raise source.error(column, f"differs within call {mixed[0]!r}", rows)
