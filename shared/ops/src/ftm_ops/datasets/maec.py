"""MAEC: one sentence per line in `MAEC_Dataset/<YYYYMMDD>_<TICKER>/text.txt`, and anonymous
speaker labels (`Person,Sentence` rows) in `MAEC_Dataset_Person_Label/<same folder>/text.csv`.

One build reads the calls of a range of calendar quarters into one file named after the range
(`span_name`); the default, 2017Q1..2017Q2, is `maec_2017h1_sentences.parquet`."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections import Counter
from datetime import datetime
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ftm_ops.datasets import arrow
from ftm_ops.datasets.source import Dataset, DatasetError, Source, Tables, read_text
from ftm_shared.layout import QUARTER_PATTERN, quarters_between

CALL_FOLDER = re.compile(r"^(?P<day>\d{8})_(?P<ticker>[^/]+)$")
DEFAULT_RANGE = ("2017Q1", "2017Q2")
# The whole public release's counts are known for 2017 H1 only; every build that holds those
# quarters is checked on them before anything is written.
H1_2017 = {"rows": 78_846, "calls": 645, "firms": 535}

SOURCE = Source(
    name="maec",
    title="MAEC: A Multimodal Aligned Earnings Conference Call Dataset (sentences)",
    repository=(
        "Earnings-Call-Dataset/"
        "MAEC-A-Multimodal-Aligned-Earnings-Conference-Call-Dataset-for-Financial-Risk-Prediction"
    ),
    commit="65a109f5b1a8cb4c96e8337b749ce3db41f2c210",
    paths=(),  # the years a build reads: `_paths`
    outputs=("earnings_calls/maec_*_sentences.parquet",),
    licence="Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)",
    licence_url="https://creativecommons.org/licenses/by-sa/4.0/",
    citation=(
        "Li, Yang, Smyth, Dong: MAEC: A Multimodal Aligned Earnings Conference Call Dataset "
        "for Financial Risk Prediction. CIKM 2020."
    ),
    changes=(
        "the calls dated in the calendar quarters the file's name gives (`2017h1`: 2017-01-01 "
        "to 2017-06-30; `2015_2018`: 2015 to 2018) only; one row per sentence with the call's "
        "date, quarter and ticker from its folder name, and the speaker label where the label "
        "file lines up sentence for sentence; no audio features"
    ),
    expected={},  # per build: `_expected`
)


def span_name(first: str, last: str) -> str:
    """The range as a file name part: whole years `2015_2018` (or `2017`), a calendar half
    `2017h1`, any other range `2016Q3_2017Q2` (or `2017Q3`)."""
    (first_year, first_q), (last_year, last_q) = _split(first), _split(last)
    if (first_q, last_q) == (1, 4):
        return first_year if first_year == last_year else f"{first_year}_{last_year}"
    if first_year == last_year and (first_q, last_q) in {(1, 2), (3, 4)}:
        return f"{first_year}h{last_q // 2}"
    return first if first == last else f"{first}_{last}"


def output_name(first: str, last: str) -> str:
    return f"earnings_calls/maec_{span_name(first, last)}_sentences.parquet"


def _split(quarter: str) -> tuple[str, int]:
    match = QUARTER_PATTERN.match(quarter)
    assert match is not None  # quarters_between validated it
    return match["year"], int(match["quarter"])


def _paths(first: str, last: str) -> tuple[str, ...]:
    years = range(int(_split(first)[0]), int(_split(last)[0]) + 1)
    return (
        "/LICENSE",
        *(f"/MAEC_Dataset/{year}*/text.txt" for year in years),
        *(f"/MAEC_Dataset_Person_Label/{year}*/text.csv" for year in years),
    )


def _quarter(day: str) -> str:
    parsed = datetime.strptime(day, "%Y%m%d").date()
    return f"{parsed.year}Q{(parsed.month - 1) // 3 + 1}"


def _speakers(label_file: Path, sentences: list[str]) -> list[str | None]:
    """The label file's speakers when it holds the same sentences in the same order, else None."""
    if not label_file.is_file():
        return [None] * len(sentences)
    rows = list(csv.DictReader(io.StringIO(read_text(label_file))))
    labelled = [(row.get("Sentence") or "").strip() for row in rows]
    if labelled != sentences:
        return [None] * len(sentences)
    return [row.get("Person") or None for row in rows]


def normalise(quarters: list[str], checkout: Path) -> Tables:
    calls = checkout / "MAEC_Dataset"
    if not calls.is_dir():
        raise DatasetError(f"{calls} is missing from the checkout")
    rows = []
    for folder in sorted(calls.iterdir()):
        match = CALL_FOLDER.match(folder.name)
        if not match or not folder.is_dir():
            continue
        quarter = _quarter(match["day"])
        if quarter not in quarters:
            continue
        lines = read_text(folder / "text.txt").split("\n")
        sentences = [line.strip() for line in lines if line.strip()]
        label_file = checkout / "MAEC_Dataset_Person_Label" / folder.name / "text.csv"
        speakers = _speakers(label_file, sentences)
        day = datetime.strptime(match["day"], "%Y%m%d").date()
        for index, (sentence, speaker) in enumerate(zip(sentences, speakers, strict=True)):
            rows.append(
                {
                    "call_id": folder.name,
                    "firm_id": match["ticker"],
                    "firm_name": None,
                    "call_date": day.isoformat(),
                    "quarter": quarter,
                    "para_idx": index,
                    "speaker": speaker,
                    "text": sentence,
                }
            )
    if not rows:
        raise DatasetError(f"no call in {calls} is dated in {quarters[0]}..{quarters[-1]}")
    return {output_name(quarters[0], quarters[-1]): arrow.table(rows, arrow.MAEC_SENTENCES)}


def _measure(sentences: pa.Table) -> dict[str, int]:
    return {
        "rows": sentences.num_rows,
        "calls": len(set(sentences["call_id"].to_pylist())),
        "firms": len(set(sentences["firm_id"].to_pylist())),
    }


def _h1_key(what: str, quarters: list[str]) -> str:
    # A build of exactly 2017 H1 keeps the plain names it always had.
    return what if tuple(quarters) == DEFAULT_RANGE else f"{what} in 2017 H1"


def _holds_h1(quarters: list[str]) -> bool:
    return set(DEFAULT_RANGE) <= set(quarters)


def _expected(quarters: list[str]) -> dict[str, int]:
    if not _holds_h1(quarters):
        return {}
    return {_h1_key(what, quarters): count for what, count in H1_2017.items()}


def counts(quarters: list[str], tables: Tables) -> dict[str, int]:
    [sentences] = tables.values()
    measured = _measure(sentences)
    if _holds_h1(quarters):
        h1 = sentences.filter(pc.is_in(sentences["quarter"], pa.array(DEFAULT_RANGE)))
        measured |= {_h1_key(what, quarters): n for what, n in _measure(h1).items()}
    return measured


def describe(quarters: list[str], tables: Tables) -> list[str]:
    """Calls per quarter; the range's quarters without calls (the provided copy's calls end in
    2018Q2) are named, not refused."""
    [sentences] = tables.values()
    # A call's folder name starts with its date: `YYYYMMDD_TICKER`.
    per_quarter = Counter(_quarter(call[:8]) for call in set(sentences["call_id"].to_pylist()))
    lines = [
        "calls per quarter: "
        + ", ".join(f"{q} {per_quarter[q]:,}" for q in quarters if per_quarter[q])
    ]
    empty = [q for q in quarters if not per_quarter[q]]
    if empty:
        lines.append(f"no calls in {', '.join(empty)} (the source has none dated there)")
    return lines


def dataset(first: str, last: str) -> Dataset:
    """The build of the calls dated in `first`..`last` (calendar quarters, both included)."""
    quarters = quarters_between(first, last)
    source = dataclasses.replace(SOURCE, paths=_paths(first, last), expected=_expected(quarters))
    return Dataset(
        source,
        partial(normalise, quarters),
        partial(counts, quarters),
        partial(describe, quarters),
    )


DATASET = dataset(*DEFAULT_RANGE)
OUTPUT = output_name(*DEFAULT_RANGE)
