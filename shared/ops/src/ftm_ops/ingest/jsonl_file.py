"""A JSON Lines file: one JSON object per line, one paragraph per object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ftm_ops.ingest.source import IngestError, Source, not_utf8


def read_jsonl(path: Path) -> Source:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise IngestError(
                        f"{path}: line {number}: not valid JSON ({error.msg}, column {error.colno})"
                    ) from None
                if not isinstance(record, dict):
                    raise IngestError(f"{path}: line {number}: not a JSON object")
                records.append(record)
                lines.append(number)
    except UnicodeDecodeError as error:
        raise not_utf8(path, error) from None
    frame = pd.DataFrame.from_records(records, index=pd.Index(lines))
    return Source(path, path.stem, frame.astype(object), "line")
