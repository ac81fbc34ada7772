"""Earnings-21: one token per line in `earnings21/transcripts/nlp_references/<file_id>.nlp`
(`token|speaker|ts|endTs|punctuation|case|tags|wer_tags`), the calls' metadata and the speakers'
names in two CSV files. Consecutive tokens of one speaker make a turn; tags (`['3:CONTRACTION']`)
that share an id make one span."""

from __future__ import annotations

import ast
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftm_ops.datasets import arrow
from ftm_ops.datasets.source import Dataset, DatasetError, Source, Tables, read_text

OUTPUT = "earnings_calls/earnings21_turns.parquet"
FOLDER = "earnings21"
NLP_COLUMNS = ("token", "speaker", "ts", "endTs", "punctuation", "case", "tags", "wer_tags")
# The fiscal year is looked for next to the call's quarter in its opening words.
OPENING_WORDS = 1500
QUARTER_WORDS = {1: "first|1st", 2: "second|2nd", 3: "third|3rd", 4: "fourth|4th"}

SOURCE = Source(
    name="earnings21",
    title="Earnings-21 (full calls, speaker turns)",
    repository="revdotcom/speech-datasets",
    commit="2f1a8f00bc2bd72e57a459c7ac8dae4041e3e078",
    paths=(
        f"/{FOLDER}/LICENSE.md",
        f"/{FOLDER}/earnings21-file-metadata.csv",
        f"/{FOLDER}/speaker-metadata.csv",
        f"/{FOLDER}/transcripts/nlp_references/*.nlp",
    ),
    outputs=(OUTPUT,),
    licence="Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)",
    licence_url="https://creativecommons.org/licenses/by-sa/4.0/",
    citation=(
        "Del Rio et al.: Earnings-21: A Practical Benchmark for ASR in the Wild. Interspeech 2021."
    ),
    changes=(
        "tokens joined into speaker turns with their punctuation; token tags turned into "
        "character spans; company names turned into firm ids; fiscal year read from the call"
    ),
    expected={"rows": 3_062, "calls": 44, "spans": 18_596},
)


@dataclass
class Turn:
    speaker_id: int
    text: str = ""
    spans: dict[str, list[Any]] = field(default_factory=dict)
    """Tag id -> [start, end, label]."""

    def add(self, token: str, punctuation: str, tags: list[str]) -> None:
        if self.text:
            self.text += " "
        start = len(self.text)
        self.text += token
        for tag in tags:
            tag_id, _, label = tag.partition(":")
            span = self.spans.setdefault(tag_id, [start, len(self.text), label])
            span[1] = len(self.text)
        self.text += punctuation

    def entities(self) -> list[dict[str, Any]]:
        found = [arrow.entity(s, e, label, self.text[s:e]) for s, e, label in self.spans.values()]
        return sorted(found, key=lambda span: (span["start"], span["end"]))


def read_tokens(path: Path) -> list[dict[str, str]]:
    lines = read_text(path).split("\n")
    if tuple(lines[0].strip().split("|")) != NLP_COLUMNS:
        raise DatasetError(f"{path}: the header is not {'|'.join(NLP_COLUMNS)}")
    tokens = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        values = line.rstrip("\r").split("|")
        if len(values) != len(NLP_COLUMNS):
            raise DatasetError(f"{path} line {number}: {len(values)} fields, not 8")
        tokens.append(dict(zip(NLP_COLUMNS, values, strict=True)))
    return tokens


def turns(tokens: list[dict[str, str]]) -> list[Turn]:
    found: list[Turn] = []
    for token in tokens:
        speaker = int(token["speaker"])
        if not found or found[-1].speaker_id != speaker:
            found.append(Turn(speaker))
        found[-1].add(token["token"], token["punctuation"], ast.literal_eval(token["tags"]))
    return found


def fiscal_year(text: str, quarter: int) -> int | None:
    """The year stated next to the call's quarter ("third quarter fiscal 2020", "Q3 2020")."""
    opening = " ".join(text.split()[:OPENING_WORDS])
    ordinal = QUARTER_WORDS[quarter]
    prefix = r"(?:fiscal |FY ?)?"
    patterns = (
        rf"\b(?:{ordinal})[- ]quarter(?: of)?(?: (?:the )?(?:fiscal|financial|calendar))?"
        rf"(?: year)?(?: of)?,? {prefix}'?((?:20)?\d\d)\b",
        rf"\bQ{quarter},? {prefix}'?((?:20)?\d\d)\b",
        rf"\b{prefix}(20\d\d),? (?:{ordinal})[- ]quarter\b",
        rf"\b{prefix}(20\d\d),? Q{quarter}\b",
    )
    matches = [m for p in patterns if (m := re.search(p, opening, re.IGNORECASE))]
    if not matches:
        return None
    year = min(matches, key=lambda m: m.start()).group(1)
    return int(year) if len(year) == 4 else 2000 + int(year)


def firm_id(company: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", company.lower()).strip("_")


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_text(path))))


def normalise(checkout: Path) -> Tables:
    root = checkout / FOLDER
    names = {
        (row["file_id"], int(row["speaker_id"])): row["speaker_name"]
        for row in _csv(root / "speaker-metadata.csv")
    }
    rows = []
    for call in _csv(root / "earnings21-file-metadata.csv"):
        call_id, quarter = call["file_id"], int(call["financial_quarter"])
        call_turns = turns(read_tokens(root / "transcripts" / "nlp_references" / f"{call_id}.nlp"))
        year = fiscal_year(" ".join(turn.text for turn in call_turns), quarter)
        for index, turn in enumerate(call_turns):
            rows.append(
                {
                    "call_id": call_id,
                    "firm_id": firm_id(call["company_name"]),
                    "firm_name": call["company_name"],
                    "call_date": None,
                    "quarter": f"{year or ''}Q{quarter}",
                    "fiscal_year": year,
                    "fiscal_quarter": quarter,
                    "sector": call["sector"],
                    "para_idx": index,
                    "speaker": names.get((call_id, turn.speaker_id), f"speaker_{turn.speaker_id}"),
                    "speaker_id": turn.speaker_id,
                    "text": turn.text,
                    "entities": turn.entities(),
                }
            )
    return {OUTPUT: arrow.table(rows, arrow.EARNINGS21_TURNS)}


def counts(tables: Tables) -> dict[str, int]:
    turns_table = tables[OUTPUT]
    return {
        "rows": turns_table.num_rows,
        "calls": len(set(turns_table["call_id"].to_pylist())),
        "spans": sum(len(spans) for spans in turns_table["entities"].to_pylist()),
    }


DATASET = Dataset(SOURCE, normalise, counts)
