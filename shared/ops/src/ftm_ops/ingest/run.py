"""Turn the provided earnings-call files into the raw-transcripts contract.

Two source shapes are understood (see the data's SOURCES.md): MAEC sentences (`call_date`,
tickers as `firm_id`, no names) and Earnings-21 speaker turns (`firm_name`, `sector`, no dates).
Firm names, permno and gvkey come from a firm-metadata table: the one already in the bucket,
updated with what the source knows and with an optional user-supplied table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ftm_shared import layout, schemas
from ftm_shared.errors import InputError
from ftm_shared.storage import ObjectNotFoundError, ObjectStore

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("call_id", "firm_id", "quarter", "para_idx", "text")
DATE_COLUMNS = ("call_date", "earnings_call_date")
METADATA_COLUMNS = ("firm_name", "permno", "gvkey", "sector")


class IngestError(InputError):
    """Bad input; the message names the file, the column and, where it helps, the rows."""


@dataclass(frozen=True)
class IngestResult:
    source: Path
    quarter: str
    key: str
    uri: str
    n_rows: int
    n_calls: int
    n_firms: int


def _read_source(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowInvalid, OSError) as error:
        raise IngestError(f"{path}: not a readable Parquet file ({error})") from None


def _rows_preview(index: pd.Index) -> str:
    shown = ", ".join(str(i) for i in index[:5])
    return shown + (f" and {len(index) - 5} more" if len(index) > 5 else "")


def _check_columns(path: Path, frame: pd.DataFrame) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise IngestError(
            f"{path}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(str, frame.columns))})"
        )


def _check_text(path: Path, frame: pd.DataFrame) -> None:
    text = frame["text"]
    empty = frame.index[text.isna() | (text.astype("string").str.strip() == "")]
    if len(empty):
        raise IngestError(f"{path}: column 'text' is empty in row(s) {_rows_preview(empty)}")
    for column in ("call_id", "firm_id"):
        blank = frame.index[frame[column].isna() | (frame[column].astype("string") == "")]
        if len(blank):
            raise IngestError(
                f"{path}: column {column!r} is empty in row(s) {_rows_preview(blank)}"
            )


def _select_quarter(path: Path, frame: pd.DataFrame, quarter: str) -> pd.DataFrame:
    selected = frame[frame["quarter"] == quarter]
    if selected.empty:
        known = sorted(str(q) for q in frame["quarter"].dropna().unique())
        raise IngestError(
            f"{path}: column 'quarter' has no rows for {quarter} (quarters present: "
            f"{', '.join(known) or 'none'})"
        )
    return selected


def _select_firms(frame: pd.DataFrame, firms: int | None) -> pd.DataFrame:
    if firms is None:
        return frame
    if firms < 1:
        raise IngestError(f"--firms must be at least 1, got {firms}")
    chosen = sorted(frame["firm_id"].unique())[:firms]
    return frame[frame["firm_id"].isin(chosen)]


def _call_dates(path: Path, frame: pd.DataFrame) -> pd.Series:
    column = next((c for c in DATE_COLUMNS if c in frame.columns), None)
    if column is None:
        return pd.Series(pd.NaT, index=frame.index)
    parsed = pd.to_datetime(frame[column], errors="coerce", format="%Y-%m-%d")
    bad = frame.index[parsed.isna() & frame[column].notna()]
    if len(bad):
        raise IngestError(
            f"{path}: column {column!r} holds values that are not YYYY-MM-DD dates in row(s) "
            f"{_rows_preview(bad)}"
        )
    return parsed.dt.date


def source_firm_metadata(frame: pd.DataFrame) -> pd.DataFrame:
    """What a source itself says about its firms: one row per firm_id."""
    present = [c for c in METADATA_COLUMNS if c in frame.columns]
    firms = frame[["firm_id", *present]].drop_duplicates("firm_id").set_index("firm_id")
    return firms.reindex(columns=list(METADATA_COLUMNS))


def merge_firm_metadata(*tables: pd.DataFrame) -> pd.DataFrame:
    """Later tables fill or override earlier ones, field by field, never with nulls."""
    merged = pd.DataFrame(columns=list(METADATA_COLUMNS)).rename_axis("firm_id")
    for table in tables:
        table = table.reindex(columns=list(METADATA_COLUMNS))
        merged = table.combine_first(merged) if not merged.empty else table.copy()
    return merged.astype(
        {"firm_name": "string", "permno": "Int64", "gvkey": "string", "sector": "string"}
    )


def read_metadata_file(path: Path) -> pd.DataFrame:
    # gvkey is a zero-padded code, not a number: never let CSV parsing drop its zeros.
    text_columns = {
        "firm_id": "string",
        "firm_name": "string",
        "gvkey": "string",
        "sector": "string",
    }
    frame = (
        _read_source(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=text_columns)  # type: ignore[arg-type]
    )
    if "firm_id" not in frame.columns:
        raise IngestError(f"{path}: missing column 'firm_id' in the firm-metadata table")
    return frame.drop_duplicates("firm_id", keep="last").set_index("firm_id")


def load_firm_metadata(store: ObjectStore) -> pd.DataFrame:
    try:
        return store.read_parquet(layout.firm_metadata_key()).to_pandas().set_index("firm_id")
    except ObjectNotFoundError:
        return pd.DataFrame(columns=list(METADATA_COLUMNS)).rename_axis("firm_id")


def to_contract(path: Path, frame: pd.DataFrame, metadata: pd.DataFrame) -> pa.Table:
    known = metadata.reindex(frame["firm_id"])
    contract = pd.DataFrame(
        {
            "call_id": frame["call_id"].astype(str).to_numpy(),
            "firm_id": frame["firm_id"].astype(str).to_numpy(),
            "firm_name": known["firm_name"].to_numpy(),
            "permno": known["permno"].to_numpy(),
            "gvkey": known["gvkey"].to_numpy(),
            "earnings_call_date": _call_dates(path, frame).to_numpy(),
            "quarter": frame["quarter"].astype(str).to_numpy(),
            "para_idx": frame["para_idx"].astype("int32").to_numpy(),
            "speaker": frame["speaker"].to_numpy() if "speaker" in frame else None,
            "text": frame["text"].astype(str).to_numpy(),
        }
    ).sort_values(["firm_id", "call_id", "para_idx"], kind="stable")
    return pa.Table.from_pandas(contract, schema=schemas.RAW_TRANSCRIPTS, preserve_index=False)


def ingest(
    source: Path,
    quarter: str,
    store: ObjectStore,
    *,
    firms: int | None = None,
    metadata_file: Path | None = None,
) -> IngestResult:
    """Validate `source`, keep `quarter` (and the first `firms` firms), write the contract."""
    try:
        layout.validate_quarter(quarter)
    except InputError as error:
        raise IngestError(f"--quarter: {error}") from None
    frame = _read_source(source)
    _check_columns(source, frame)
    frame = _select_firms(_select_quarter(source, frame, quarter), firms)
    _check_text(source, frame)
    for firm_id in frame["firm_id"].unique():
        try:
            layout.safe_segment(str(firm_id), "firm_id")
        except InputError as error:
            raise IngestError(f"{source}: column 'firm_id': {error}") from None

    extra = [read_metadata_file(metadata_file)] if metadata_file else []
    metadata = merge_firm_metadata(load_firm_metadata(store), source_firm_metadata(frame), *extra)
    table = to_contract(source, frame, metadata)

    key = layout.raw_transcripts_key(quarter, source.stem)
    store.write_parquet(key, table)
    metadata_table = pa.Table.from_pandas(
        metadata.reset_index(), schema=schemas.FIRM_METADATA, preserve_index=False
    )
    store.write_parquet(layout.firm_metadata_key(), metadata_table)
    result = IngestResult(
        source=source,
        quarter=quarter,
        key=key,
        uri=store.uri(key),
        n_rows=table.num_rows,
        n_calls=frame["call_id"].nunique(),
        n_firms=frame["firm_id"].nunique(),
    )
    log.debug(
        "ingested %s: %d rows, %d calls, %d firms -> %s",
        source.name,
        result.n_rows,
        result.n_calls,
        result.n_firms,
        result.uri,
    )
    return result
