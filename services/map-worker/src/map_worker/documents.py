"""A quarter's raw transcripts, read from the store and grouped into one document list per firm.

The document unit is the sentence. MAEC gives one sentence per row and only ~80-130 per firm
and quarter; Earnings-21 gives speaker turns, which are cut into their sentences here (a turn
is 10-40 per firm, multi-subject, and often opens with thanks before the content). Each
sentence keeps its speaker, so call procedure can be told by role where the source names it.
Sentences shorter than a few words ("Thank you.", "Good morning, everyone") carry no topic and
are dropped. Each kept sentence also keeps where it came from (`Origin`: call, paragraph, its
number among the paragraph's sentences), for the map's sentence-topics rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from ftm_shared import layout, schemas
from ftm_shared.errors import InputError
from ftm_shared.storage import ContractError, CorruptObjectError, ObjectStore
from ftm_shared.text import split_sentences
from map_worker.config import TopicTuning
from map_worker.keywords import QuarterWords
from map_worker.progress_files import Failure

log = logging.getLogger(__name__)

# MiniLM reads 256 tokens at most; a longer "sentence" is a source artefact, cut to this.
MAX_CHARS = 2000
_MASKS = re.compile(r"<UNK>", re.IGNORECASE)


@dataclass(frozen=True)
class Origin:
    """Where a sentence stands in the raw transcripts: `sentence_idx` counts the sentences of
    row (`call_id`, `para_idx`) from 0, short ones included, so it points into the raw text."""

    call_id: str
    para_idx: int
    sentence_idx: int


@dataclass(frozen=True)
class FirmDocuments:
    firm_id: str
    firm_name: str | None
    permno: int | None
    gvkey: str | None
    earnings_call_date: object
    texts: list[str] = field(repr=False)
    # Each text's speaker as the source names it (None where it does not); empty: unknown.
    speakers: list[str | None] = field(default_factory=list, repr=False)
    # Each text's place in the raw transcripts (same order); empty: unknown.
    origins: list[Origin] = field(default_factory=list, repr=False)


class NoTranscriptsError(InputError):
    """The quarter has no raw transcripts to map."""


def clean(text: str) -> str:
    text = _MASKS.sub(" ", text)
    return " ".join(text.split())[:MAX_CHARS]


def read_quarter(store: ObjectStore, quarter: str) -> tuple[pa.Table, list[Failure]]:
    """Every readable raw object of the quarter; an unreadable one becomes a failure, the rest
    still run."""
    prefix = layout.raw_transcripts_prefix(quarter)
    keys = store.parquet_keys(prefix)
    if not keys:
        raise NoTranscriptsError(f"no raw transcripts under {store.uri(prefix)}: run `ftm ingest`")
    tables, problems = [], []
    for key in keys:
        try:
            tables.append(store.read_contract(key, schemas.RAW_TRANSCRIPTS, "raw-transcripts"))
        except (CorruptObjectError, ContractError) as error:
            problems.append(Failure.of("read", error, object_key=key))
    empty = schemas.RAW_TRANSCRIPTS.empty_table()
    return (pa.concat_tables(tables) if tables else empty), problems


def group_by_firm(
    table: pa.Table, tuning: TopicTuning
) -> tuple[list[FirmDocuments], list[Failure]]:
    frame = table.to_pandas()
    firms, problems = [], []
    for firm_id, rows in frame.groupby("firm_id", sort=True):
        firm_id = str(firm_id)
        try:
            layout.safe_segment(firm_id, "firm_id")
        except InputError as error:
            problems.append(Failure.of("validate", error, firm_id=firm_id))
            continue
        rows = rows.sort_values(["call_id", "para_idx"])
        kept = [
            (sentence, speaker, origin)
            for sentence, speaker, origin in _sentences(rows)
            if len(sentence.split()) >= tuning.min_sentence_words
        ]
        if not kept:
            empty_firm = InputError(
                f"firm {firm_id} has no sentence of {tuning.min_sentence_words}+ words"
            )
            problems.append(Failure.of("validate", empty_firm, firm_id=firm_id))
            continue
        first = rows.iloc[0]
        firms.append(
            FirmDocuments(
                firm_id=firm_id,
                firm_name=_optional(first["firm_name"], str),
                permno=_optional(first["permno"], int),
                gvkey=_optional(first["gvkey"], str),
                earnings_call_date=rows["earnings_call_date"].min(),
                texts=[sentence for sentence, _, _ in kept],
                speakers=[speaker for _, speaker, _ in kept],
                origins=[origin for _, _, origin in kept],
            )
        )
    return firms, problems


def _sentences(rows: pd.DataFrame) -> Iterator[tuple[str, str | None, Origin]]:
    """Each row's sentences, cleaned, with the row's speaker and the sentence's origin."""
    columns = (rows["text"], rows["speaker"], rows["call_id"], rows["para_idx"])
    for text, speaker, call_id, para_idx in zip(*columns, strict=True):
        if isinstance(text, str):
            for n, sentence in enumerate(split_sentences(text)):
                origin = Origin(str(call_id), int(para_idx), n)
                yield clean(sentence), _optional(speaker, str), origin


def quarter_words(table: pa.Table) -> QuarterWords:
    """Word document frequencies over every sentence of the quarter's raw rows (all firms,
    not only a shard's), so that every firm's keywords are weighed against the same quarter."""
    texts = table["text"].to_pylist()
    return QuarterWords.count(
        clean(sentence) for text in texts if text for sentence in split_sentences(text)
    )


def _optional(value: object, kind: type) -> Any:
    return None if value is None or pd.isna(value) else kind(value)
