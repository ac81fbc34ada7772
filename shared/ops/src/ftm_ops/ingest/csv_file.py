"""A CSV file, one row per paragraph, a header naming the columns; every cell read as text."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from ftm_ops.ingest.source import IngestError, Source, not_utf8

# A call transcribed without paragraph breaks is one long cell: the csv module's default limit
# (131,072 characters) refused such a file as "not valid CSV".
MAX_CELL_CHARS = 2**31 - 1


def read_csv(path: Path) -> Source:
    """Cells stay text (gvkey and ids keep their leading zeros); an empty cell is missing.
    Rows are named by the line they start on, so a quoted cell spanning lines is counted right."""
    records: list[list[str | None]] = []
    lines: list[int] = []
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if not header:
                raise IngestError(f"{path}: empty file (a CSV needs a header line)")
            _check_header(path, header)
            start = reader.line_num + 1
            for record in reader:
                if record:  # a blank line
                    if len(record) != len(header):
                        raise IngestError(
                            f"{path}: line {start} has {len(record)} fields, "
                            f"the header has {len(header)}"
                        )
                    records.append([cell if cell.strip() else None for cell in record])
                    lines.append(start)
                start = reader.line_num + 1
    except UnicodeDecodeError as error:
        raise not_utf8(path, error) from None
    except csv.Error as error:
        raise IngestError(f"{path}: line {start}: not valid CSV ({error})") from None
    frame = pd.DataFrame(records, columns=header, index=pd.Index(lines), dtype=object)
    return Source(path, path.stem, frame, "line")


def _check_header(path: Path, header: list[str]) -> None:
    blank = [str(i + 1) for i, name in enumerate(header) if not name.strip()]
    if blank:
        raise IngestError(f"{path}: line 1: the header's field(s) {', '.join(blank)} are unnamed")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise IngestError(f"{path}: line 1: column(s) {', '.join(repeated)} named twice")
