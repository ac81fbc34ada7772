from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from ftm_shared import layout, schemas
from ftm_shared.storage import ObjectStore
from map_worker.config import TopicTuning
from map_worker.documents import (
    MAX_CHARS,
    NoTranscriptsError,
    Origin,
    group_by_firm,
    read_quarter,
)

TUNING = TopicTuning()


def raw(rows: list[dict[str, object]]) -> pa.Table:
    base = {
        "call_id": "c1",
        "firm_name": None,
        "permno": None,
        "gvkey": None,
        "earnings_call_date": None,
        "quarter": "2017Q1",
        "speaker": None,
    }
    return pa.Table.from_pylist([{**base, **row} for row in rows], schema=schemas.RAW_TRANSCRIPTS)


@pytest.mark.unit
def test_short_sentences_and_masks_are_dropped_and_huge_text_is_cut() -> None:
    table = raw(
        [
            {"firm_id": "A", "para_idx": 0, "text": "Thank you."},
            {
                "firm_id": "A",
                "para_idx": 1,
                "text": "Our <UNK> margins expanded by fifty basis points.",
            },
            {"firm_id": "A", "para_idx": 2, "text": "revenue " * 10_000},
        ]
    )
    firms, problems = group_by_firm(table, TUNING)
    assert problems == []
    assert firms[0].texts[0] == "Our margins expanded by fifty basis points."
    assert len(firms[0].texts[1]) == MAX_CHARS


@pytest.mark.unit
def test_empty_firm_and_unsafe_ids_become_problems_not_crashes() -> None:
    table = raw(
        [
            {"firm_id": "EMPTY", "para_idx": 0, "text": "Thanks."},
            {
                "firm_id": "../up",
                "para_idx": 0,
                "text": "A perfectly good sentence about revenue growth.",
            },
            {
                "firm_id": "a/b",
                "para_idx": 0,
                "text": "A perfectly good sentence about revenue growth.",
            },
            {
                "firm_id": "OK",
                "para_idx": 0,
                "text": "A perfectly good sentence about revenue growth.",
            },
        ]
    )
    firms, problems = group_by_firm(table, TUNING)
    assert [f.firm_id for f in firms] == ["OK"]
    by_firm = {p.firm_id: p.message for p in problems}
    assert "no sentence of 5+ words" in by_firm["EMPTY"]
    assert "cannot be used in an object key" in by_firm["../up"]
    assert "cannot be used in an object key" in by_firm["a/b"]


@pytest.mark.unit
def test_the_minimum_sentence_length_is_a_setting() -> None:
    table = raw([{"firm_id": "A", "para_idx": 0, "text": "Margins expanded again."}])
    assert group_by_firm(table, TUNING)[0] == []
    firms, problems = group_by_firm(table, TopicTuning(min_sentence_words=3))
    assert problems == [] and firms[0].texts == ["Margins expanded again."]


@pytest.mark.unit
def test_unreadable_objects_become_failures_the_rest_is_read(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path))
    good = raw([{"firm_id": "A", "para_idx": 0, "text": "Our margins expanded this quarter."}])
    store.write_parquet(layout.raw_transcripts_key("2017Q1", "good"), good)
    store.write_parquet(layout.raw_transcripts_key("2017Q1", "no_text"), good.drop(["text"]))
    store.put_bytes(layout.raw_transcripts_key("2017Q1", "corrupt"), b"not parquet")
    table, failures = read_quarter(store, "2017Q1")
    assert table.num_rows == 1
    by_key = {f.object_key: f for f in failures}
    no_text = by_key[layout.raw_transcripts_key("2017Q1", "no_text")]
    assert no_text.error_type == "ContractError" and "missing column(s) text" in no_text.message
    assert by_key[layout.raw_transcripts_key("2017Q1", "corrupt")].error_type == (
        "CorruptObjectError"
    )
    assert {f.stage for f in failures} == {"read"}


@pytest.mark.unit
def test_a_quarter_without_transcripts_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(NoTranscriptsError, match="run `ftm ingest`"):
        read_quarter(ObjectStore(str(tmp_path)), "2017Q1")


@pytest.mark.unit
def test_a_speaker_turn_becomes_its_sentences_each_with_the_speaker() -> None:
    turn = "Thank you, operator. Good morning. Revenue rose twelve percent on strong demand."
    table = raw(
        [
            {"firm_id": "E", "para_idx": 0, "speaker": "Operator", "text": "Please go ahead, sir."},
            {"firm_id": "E", "para_idx": 1, "speaker": "Jane Doe", "text": turn},
        ]
    )
    [firm], _ = group_by_firm(table, TopicTuning(min_sentence_words=3))
    assert firm.texts == [
        "Please go ahead, sir.",
        "Thank you, operator.",
        "Revenue rose twelve percent on strong demand.",
    ]
    assert firm.speakers == ["Operator", "Jane Doe", "Jane Doe"]


@pytest.mark.unit
def test_each_kept_sentence_knows_its_call_paragraph_and_place() -> None:
    table = raw(
        [
            {"firm_id": "E", "call_id": "c2", "para_idx": 3, "text": "Margins rose again."},
            {
                "firm_id": "E",
                "call_id": "c1",
                "para_idx": 7,
                "text": "Thanks. Revenue rose twelve percent. Costs fell by a third.",
            },
        ]
    )
    [firm], _ = group_by_firm(table, TopicTuning(min_sentence_words=3))
    assert firm.texts == [
        "Revenue rose twelve percent.",
        "Costs fell by a third.",
        "Margins rose again.",
    ]
    assert firm.origins == [Origin("c1", 7, 1), Origin("c1", 7, 2), Origin("c2", 3, 0)]
