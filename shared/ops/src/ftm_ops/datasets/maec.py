"""MAEC: one sentence per line in `MAEC_Dataset/<YYYYMMDD>_<TICKER>/text.txt`, and anonymous
speaker labels (`Person,Sentence` rows) in `MAEC_Dataset_Person_Label/<same folder>/text.csv`."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

from ftm_ops.datasets import arrow
from ftm_ops.datasets.source import Dataset, DatasetError, Source, Tables, read_text

OUTPUT = "earnings_calls/maec_2017h1_sentences.parquet"
FIRST_DAY, LAST_DAY = date(2017, 1, 1), date(2017, 6, 30)
CALL_FOLDER = re.compile(r"^(?P<day>\d{8})_(?P<ticker>[^/]+)$")

SOURCE = Source(
    name="maec",
    title="MAEC: A Multimodal Aligned Earnings Conference Call Dataset (2017 H1 sentences)",
    repository=(
        "Earnings-Call-Dataset/"
        "MAEC-A-Multimodal-Aligned-Earnings-Conference-Call-Dataset-for-Financial-Risk-Prediction"
    ),
    commit="65a109f5b1a8cb4c96e8337b749ce3db41f2c210",
    paths=(
        "/LICENSE",
        "/MAEC_Dataset/2017*/text.txt",
        "/MAEC_Dataset_Person_Label/2017*/text.csv",
    ),
    outputs=(OUTPUT,),
    licence="Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)",
    licence_url="https://creativecommons.org/licenses/by-sa/4.0/",
    citation=(
        "Li, Yang, Smyth, Dong: MAEC: A Multimodal Aligned Earnings Conference Call Dataset "
        "for Financial Risk Prediction. CIKM 2020."
    ),
    changes=(
        "calls dated 2017-01-01 to 2017-06-30 only; one row per sentence with the call's date, "
        "quarter and ticker from its folder name, and the speaker label where the label file "
        "lines up sentence for sentence; no audio features"
    ),
    expected={"rows": 78_846, "calls": 645, "firms": 535},
)


def _speakers(label_file: Path, sentences: list[str]) -> list[str | None]:
    """The label file's speakers when it holds the same sentences in the same order, else None."""
    if not label_file.is_file():
        return [None] * len(sentences)
    rows = list(csv.DictReader(io.StringIO(read_text(label_file))))
    labelled = [(row.get("Sentence") or "").strip() for row in rows]
    if labelled != sentences:
        return [None] * len(sentences)
    return [row.get("Person") or None for row in rows]


def normalise(checkout: Path) -> Tables:
    calls = checkout / "MAEC_Dataset"
    if not calls.is_dir():
        raise DatasetError(f"{calls} is missing from the checkout")
    rows = []
    for folder in sorted(calls.iterdir()):
        match = CALL_FOLDER.match(folder.name)
        if not match or not folder.is_dir():
            continue
        day = datetime.strptime(match["day"], "%Y%m%d").date()
        if not FIRST_DAY <= day <= LAST_DAY:
            continue
        lines = read_text(folder / "text.txt").split("\n")
        sentences = [line.strip() for line in lines if line.strip()]
        label_file = checkout / "MAEC_Dataset_Person_Label" / folder.name / "text.csv"
        speakers = _speakers(label_file, sentences)
        for index, (sentence, speaker) in enumerate(zip(sentences, speakers, strict=True)):
            rows.append(
                {
                    "call_id": folder.name,
                    "firm_id": match["ticker"],
                    "firm_name": None,
                    "call_date": day.isoformat(),
                    "quarter": f"{day.year}Q{(day.month - 1) // 3 + 1}",
                    "para_idx": index,
                    "speaker": speaker,
                    "text": sentence,
                }
            )
    return {OUTPUT: arrow.table(rows, arrow.MAEC_SENTENCES)}


def counts(tables: Tables) -> dict[str, int]:
    sentences = tables[OUTPUT]
    return {
        "rows": sentences.num_rows,
        "calls": len(set(sentences["call_id"].to_pylist())),
        "firms": len(set(sentences["firm_id"].to_pylist())),
    }


DATASET = Dataset(SOURCE, normalise, counts)
