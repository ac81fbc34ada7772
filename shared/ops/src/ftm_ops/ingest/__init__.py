"""Turn earnings-call sources into the raw-transcripts contract (`ftm ingest`).

Shapes read (`shapes.py`): Parquet (the provided MAEC sentences and Earnings-21 speaker turns),
CSV and JSON Lines with one row per paragraph, and a folder of plain-text calls with a
metadata.csv (`text_folder.py`, `turns.py`). Column names can be mapped (`columns.py`). A source
is checked as a whole (`checks.py`) and against the quarter's other sources in the bucket
(`bucket.py`) before anything is written (`run.py`). Firm names, permno and gvkey go to the
firm-metadata table (`metadata.py`).
"""

from ftm_ops.ingest.columns import parse_mapping
from ftm_ops.ingest.contract import to_contract
from ftm_ops.ingest.metadata import (
    load_firm_metadata,
    merge_firm_metadata,
    read_metadata_file,
    source_firm_metadata,
)
from ftm_ops.ingest.run import IngestResult, ingest
from ftm_ops.ingest.source import IngestError

__all__ = [
    "IngestError",
    "IngestResult",
    "ingest",
    "load_firm_metadata",
    "merge_firm_metadata",
    "parse_mapping",
    "read_metadata_file",
    "source_firm_metadata",
    "to_contract",
]
