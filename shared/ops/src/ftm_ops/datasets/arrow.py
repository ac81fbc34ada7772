"""The normalised files' Arrow schemas (one per file) and how they are written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

# Character spans into the row's `text` (end exclusive); `db_id` is the source's concept id.
ENTITY = pa.struct(
    [
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("label", pa.string()),
        ("text", pa.string()),
        ("db_id", pa.string()),
    ]
)
ENTITIES = pa.list_(ENTITY)

MAEC_SENTENCES = pa.schema(
    [
        ("call_id", pa.string()),
        ("firm_id", pa.string()),
        ("firm_name", pa.string()),
        ("call_date", pa.string()),
        ("quarter", pa.string()),
        ("para_idx", pa.int32()),
        ("speaker", pa.string()),
        ("text", pa.string()),
    ]
)
EARNINGS21_TURNS = pa.schema(
    [
        ("call_id", pa.string()),
        ("firm_id", pa.string()),
        ("firm_name", pa.string()),
        ("call_date", pa.string()),
        ("quarter", pa.string()),
        ("fiscal_year", pa.int32()),
        ("fiscal_quarter", pa.int32()),
        ("sector", pa.string()),
        ("para_idx", pa.int32()),
        ("speaker", pa.string()),
        ("speaker_id", pa.int32()),
        ("text", pa.string()),
        ("entities", ENTITIES),
    ]
)
ABSTRACTS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("split", pa.string()),
        ("title", pa.string()),
        ("text", pa.string()),
        ("entities", ENTITIES),
    ]
)
RELATION = pa.struct([("type", pa.string()), ("chemical", pa.string()), ("disease", pa.string())])
BC5CDR_ABSTRACTS = ABSTRACTS.append(pa.field("relations", pa.list_(RELATION)))
GLAUCOMA_NOTES = pa.schema([("note_id", pa.string()), ("text", pa.string())])
GLAUCOMA_SEGMENTS = pa.schema(
    [
        ("seg_id", pa.string()),
        ("note_id", pa.string()),
        ("group_id", pa.string()),
        ("text", pa.string()),
        ("entities", ENTITIES),
    ]
)


def entity(start: int, end: int, label: str, text: str, db_id: str | None = None) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, "text": text, "db_id": db_id}


def table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def write(data: pa.Table, path: Path) -> None:
    """zstd Parquet, written beside the target and renamed, so a failure leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(data, partial, compression="zstd")
    partial.replace(path)
