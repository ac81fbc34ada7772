"""A Parquet file, one row per paragraph (the provided MAEC and Earnings-21 files)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ftm_ops.ingest.source import IngestError, Source


def read_parquet(path: Path) -> Source:
    try:
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowInvalid, OSError) as error:
        raise IngestError(f"{path}: not a readable Parquet file ({error})") from None
    # Rows are named by their place in the file, whatever index pandas stored with them.
    frame = frame.reset_index(drop=list(frame.index.names) == [None])
    return Source(path, path.stem, frame, "row")
