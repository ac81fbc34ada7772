"""The firm-metadata table (`reference/firm_metadata.parquet`): names, permno, gvkey, sector.

The one in the bucket is updated with what each source says about its firms and with an
optional user-supplied table (`--firm-metadata`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import ftm_ops.ingest.checks as checks
from ftm_ops.ingest.columns import METADATA_COLUMNS
from ftm_ops.ingest.csv_file import read_csv
from ftm_ops.ingest.parquet_file import read_parquet
from ftm_ops.ingest.source import IngestError, reading, require_file
from ftm_shared import layout
from ftm_shared.storage import ObjectNotFoundError, ObjectStore


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
    """A user's firm table, CSV (cells read as text: gvkey keeps its zeros) or Parquet."""
    require_file(path)
    with reading(path):
        source = read_parquet(path) if path.suffix == ".parquet" else read_csv(path)
    if "firm_id" not in source.frame.columns:
        raise IngestError(f"{path}: missing column 'firm_id' in the firm-metadata table")
    frame = source.frame
    if "permno" in frame.columns:
        frame = frame.assign(permno=checks.integers(source, "permno", required=False, minimum=1))
    if "gvkey" in frame.columns:
        frame = frame.assign(gvkey=checks.gvkeys(source))
    return frame.drop_duplicates("firm_id", keep="last").set_index("firm_id")


def load_firm_metadata(store: ObjectStore) -> pd.DataFrame:
    try:
        return store.read_parquet(layout.firm_metadata_key()).to_pandas().set_index("firm_id")
    except ObjectNotFoundError:
        return pd.DataFrame(columns=list(METADATA_COLUMNS)).rename_axis("firm_id")
