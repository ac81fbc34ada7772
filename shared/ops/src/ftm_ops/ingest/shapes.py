"""Which reader a source needs, told by its suffix (a folder: text files plus metadata.csv)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from ftm_ops.ingest.columns import apply_mapping
from ftm_ops.ingest.csv_file import read_csv
from ftm_ops.ingest.jsonl_file import read_jsonl
from ftm_ops.ingest.parquet_file import read_parquet
from ftm_ops.ingest.source import IngestError, Source, reading, require_file
from ftm_ops.ingest.text_folder import read_text_folder

READERS: dict[str, Callable[[Path], Source]] = {
    ".parquet": read_parquet,
    ".csv": read_csv,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
}


def read_source(path: Path, mapping: Mapping[str, str]) -> Source:
    """The source's rows under our column names (`mapping`: ours -> the file's)."""
    if path.is_dir():
        with reading(path):
            return read_text_folder(path, mapping)
    require_file(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(
            f"{path}: cannot tell its shape from {path.suffix or 'no suffix'!r}: ingest reads "
            f"{', '.join(READERS)} files and folders of .txt calls with a metadata.csv"
        )
    with reading(path):
        source = reader(path)
    if source.frame.empty:
        raise IngestError(f"{path}: no rows")
    return apply_mapping(source, mapping)
