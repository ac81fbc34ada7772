"""`ftm ingest`: check a source as a whole, then write its quarter in the raw-transcripts
contract and update the firm-metadata table. Nothing is written for a source that fails."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ftm_ops.ingest.bucket import Replaced, calls_replaced, refuse_calls_elsewhere
from ftm_ops.ingest.checks import check_paragraphs, unplaced_calls
from ftm_ops.ingest.contract import to_contract
from ftm_ops.ingest.metadata import (
    load_firm_metadata,
    merge_firm_metadata,
    read_metadata_file,
    source_firm_metadata,
)
from ftm_ops.ingest.shapes import read_source
from ftm_ops.ingest.source import IngestError, Source, preview
from ftm_shared import layout, schemas
from ftm_shared.errors import InputError
from ftm_shared.storage import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    source: Path
    quarter: str
    key: str
    uri: str
    n_rows: int
    n_calls: int
    n_firms: int
    unplaced: tuple[tuple[str, str], ...]
    """The source's calls in no quarter, (call_id, its `quarter` value): in no run."""
    replaced: Replaced | None
    """What the same source name held in this quarter before, now replaced."""

    def replaced_line(self) -> str | None:
        if self.replaced is None:
            return None
        name = Path(self.key).stem
        gone = self.replaced.gone
        if not gone:
            return f"replaces the {self.replaced.n_calls} call(s) ingested before as {name!r}"
        return (
            f"replaces the {self.replaced.n_calls} call(s) ingested before as {name!r}: "
            f"{len(gone)} of them are not in this file and are gone ({preview(gone)}); "
            "to keep both, ingest each under its own name with --source NAME"
        )

    def unplaced_line(self) -> str | None:
        if not self.unplaced:
            return None
        values = ", ".join(repr(v) for v in dict.fromkeys(value for _, value in self.unplaced))
        calls = ", ".join(call for call, _ in self.unplaced[:5])
        more = f" and {len(self.unplaced) - 5} more" if len(self.unplaced) > 5 else ""
        return (
            f"left out: {len(self.unplaced)} call(s) whose quarter is no quarter like 2017Q1 "
            f"({values}): {calls}{more}; give them a year to ingest them"
        )


def _source_key(source: Path, quarter: str, name: str) -> str:
    try:
        return layout.raw_transcripts_key(quarter, name)
    except InputError:
        raise IngestError(
            f"{source}: the source name {name!r} cannot be part of an object key (letters, "
            "digits, '.', '_' and '-' only): give it one with --source NAME"
        ) from None


def _select_quarter(source: Source, quarter: str) -> pd.DataFrame:
    frame = source.frame
    selected = frame[frame["quarter"] == quarter]
    if selected.empty:
        known = sorted(str(q) for q in frame["quarter"].dropna().unique())
        raise IngestError(
            f"{source.path}: column 'quarter' has no rows for {quarter} (quarters present: "
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


def ingest(
    source: Path,
    quarter: str,
    store: ObjectStore,
    *,
    firms: int | None = None,
    metadata_file: Path | None = None,
    columns: Mapping[str, str] | None = None,
    name: str | None = None,
) -> IngestResult:
    """Check `source` (any shape `shapes.py` reads; `columns` maps our column names to the
    file's), keep `quarter` (and the first `firms` firms), write the contract under the
    source's `name` (default: the file name without its suffix)."""
    try:
        layout.validate_quarter(quarter)
    except InputError as error:
        raise IngestError(f"--quarter: {error}") from None
    checked = check_paragraphs(read_source(source, columns or {}))
    frame = _select_firms(_select_quarter(checked, quarter), firms)
    key = _source_key(source, quarter, name or checked.name)
    call_ids = frame["call_id"].unique()
    refuse_calls_elsewhere(store, quarter, key, source, call_ids)
    replaced = calls_replaced(store, key, call_ids)

    extra = [read_metadata_file(metadata_file)] if metadata_file else []
    metadata = merge_firm_metadata(load_firm_metadata(store), source_firm_metadata(frame), *extra)
    table = to_contract(source, frame, metadata)
    metadata_table = pa.Table.from_pandas(
        metadata.reset_index(), schema=schemas.FIRM_METADATA, preserve_index=False
    )
    # Each is one object put (atomic); both are built before either is written.
    store.write_parquet(key, table)
    store.write_parquet(layout.firm_metadata_key(), metadata_table)
    result = IngestResult(
        source=source,
        quarter=quarter,
        key=key,
        uri=store.uri(key),
        n_rows=table.num_rows,
        n_calls=frame["call_id"].nunique(),
        n_firms=frame["firm_id"].nunique(),
        unplaced=tuple(unplaced_calls(checked.frame).items()),
        replaced=replaced,
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
