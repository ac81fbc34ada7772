from __future__ import annotations

import pyarrow as pa
import pytest

from ftm_shared import schemas
from map_worker.documents import MAX_CHARS, group_by_firm


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
    firms, problems = group_by_firm(table)
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
    firms, problems = group_by_firm(table)
    assert [f.firm_id for f in firms] == ["OK"]
    by_firm = {p.firm_id: p.message for p in problems}
    assert "no sentence of 5+ words" in by_firm["EMPTY"]
    assert "cannot be used in an object key" in by_firm["../up"]
    assert "cannot be used in an object key" in by_firm["a/b"]
