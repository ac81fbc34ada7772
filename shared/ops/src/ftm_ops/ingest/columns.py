"""The column names ingest reads, and `--column name=theirs` to read them under other names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ftm_ops.ingest.source import IngestError, Source

REQUIRED_COLUMNS = ("call_id", "firm_id", "quarter", "para_idx", "text")
DATE_COLUMNS = ("call_date", "earnings_call_date")
METADATA_COLUMNS = ("firm_name", "permno", "gvkey", "sector")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *DATE_COLUMNS, "speaker", *METADATA_COLUMNS)


def parse_mapping(specs: Iterable[str]) -> dict[str, str]:
    """`["text=body", "firm_id=ticker"]` -> `{"text": "body", "firm_id": "ticker"}`."""
    mapping: dict[str, str] = {}
    for spec in specs:
        ours, sep, theirs = (part.strip() for part in spec.partition("="))
        if not sep or not ours or not theirs:
            raise IngestError(f"--column {spec!r}: write it as NAME=COLUMN, e.g. text=body")
        if ours not in KNOWN_COLUMNS:
            raise IngestError(
                f"--column {spec!r}: {ours!r} is not a column ingest reads "
                f"(known: {', '.join(KNOWN_COLUMNS)})"
            )
        if ours in mapping or theirs in mapping.values():
            raise IngestError(f"--column {spec!r}: {ours!r} or {theirs!r} is mapped twice")
        mapping[ours] = theirs
    return mapping


def apply_mapping(source: Source, mapping: Mapping[str, str]) -> Source:
    """Rename the file's columns to ours; a mapped column replaces one already named like ours."""
    frame = source.frame
    for ours, theirs in mapping.items():
        if theirs not in frame.columns:
            raise IngestError(
                f"{source.path}: --column {ours}={theirs}: no column {theirs!r} "
                f"(found: {', '.join(map(str, frame.columns))})"
            )
    replaced = [ours for ours in mapping if ours in frame.columns and ours not in mapping.values()]
    renamed = frame.drop(columns=replaced).rename(columns={v: k for k, v in mapping.items()})
    return source.with_frame(renamed)
