"""A folder of plain-text calls: `<call_id>.txt` per call, and `metadata.csv` with one row per
call (`call_id`, `firm_id`, `call_date`; optional `firm_name`, `permno`, `gvkey`, `sector`).
Each text is split into paragraphs and speaker turns (`turns.py` states the rule)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

import ftm_ops.ingest.checks as checks
from ftm_ops.ingest.columns import apply_mapping
from ftm_ops.ingest.csv_file import read_csv
from ftm_ops.ingest.source import IngestError, Source, not_utf8
from ftm_ops.ingest.turns import Paragraph, split_paragraphs

METADATA_FILE = "metadata.csv"
TEXT_SUFFIX = ".txt"


def read_text_folder(folder: Path, mapping: Mapping[str, str]) -> Source:
    meta_path = folder / METADATA_FILE
    if not meta_path.is_file():
        raise IngestError(
            f"{folder}: no {METADATA_FILE} (a folder source holds one <call_id>{TEXT_SUFFIX} "
            f"per call and {METADATA_FILE} with a row for each)"
        )
    calls = checks.check_calls_table(apply_mapping(read_csv(meta_path), mapping))
    if calls.frame.empty:
        raise IngestError(f"{meta_path}: no rows")
    texts = {path.stem: path for path in folder.glob(f"*{TEXT_SUFFIX}") if not path.is_dir()}
    frame = calls.frame
    missing = frame.index[~frame["call_id"].isin(texts.keys())]
    if len(missing):
        names = ", ".join(f"{c}{TEXT_SUFFIX}" for c in frame.loc[missing[:5], "call_id"])
        raise calls.error("call_id", f"names calls without a text file ({names})", missing)
    stray = sorted(set(texts) - set(frame["call_id"]))
    if stray:
        raise IngestError(
            f"{texts[stray[0]]}: no row in {meta_path} (column 'call_id'; "
            f"{len(stray)} such file(s))"
        )
    rows = [
        {**call, "para_idx": idx, "speaker": paragraph.speaker, "text": paragraph.text}
        for call in frame.to_dict("records")
        for idx, paragraph in enumerate(_paragraphs(texts[str(call["call_id"])]))
    ]
    return Source(folder, folder.name, pd.DataFrame(rows), "row")


def _paragraphs(path: Path) -> list[Paragraph]:
    try:
        paragraphs = split_paragraphs(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as error:
        raise not_utf8(path, error) from None
    if not paragraphs:
        raise IngestError(f"{path}: no text")
    return paragraphs
