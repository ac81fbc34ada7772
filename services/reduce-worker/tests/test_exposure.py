"""The exposure panel on hand-built calls whose right answers are known."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from ftm_shared import layout, schemas
from ftm_shared.plan import Plan, ShardPlan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore
from reduce_worker.exposure import (
    SentenceTopicsError,
    exposure_panel,
    exposure_table,
    near_risk,
    risk_words,
    words,
)

pytestmark = pytest.mark.unit

PLAIN = "Our stores in the north opened on schedule this spring"  # ten words, no risk, no tone
DATE = dt.date(2017, 2, 1)
CALLS = pl.DataFrame(
    {
        "call_id": ["c1", "c2"],
        "firm_id": ["F", "G"],
        "permno": [10001, None],
        "gvkey": ["001234", None],
        "earnings_call_date": [DATE, DATE],
    }
)
MEMBERSHIP = pl.DataFrame(
    {"firm_id": ["F", "F", "G"], "topic_id": [0, 1, 0], "theme_id": ["A", "B", "A"]},
    schema={"firm_id": pl.String, "topic_id": pl.Int32, "theme_id": pl.String},
)


def sentences(call_id: str, firm_id: str, rows: list[tuple[int, str]]) -> pl.DataFrame:
    """`rows`: (topic_id, text) in call order, one paragraph each."""
    table = pa.Table.from_pylist(
        [
            {
                "firm_id": firm_id,
                "call_id": call_id,
                "quarter": "2017Q1",
                "para_idx": n,
                "sentence_idx": 0,
                "topic_id": topic_id,
                "text": text,
            }
            for n, (topic_id, text) in enumerate(rows)
        ],
        schema=schemas.SENTENCE_TOPICS,
    )
    return pl.DataFrame(table)


def panel(frame: pl.DataFrame) -> dict[tuple[str, str], dict[str, object]]:
    table = exposure_panel(frame, MEMBERSHIP, CALLS, "2017Q1")
    assert table.schema.equals(schemas.FIRM_THEME_EXPOSURE)
    return {(row["call_id"], row["theme_id"]): row for row in table.to_pylist()}


def test_three_of_ten_substantive_sentences_give_point_three_and_procedure_is_left_out() -> None:
    rows = [(-1, "Thank you for joining us and good morning everyone today")]
    rows += [(0, PLAIN)] * 3 + [(1, PLAIN)] * 2 + [(2, PLAIN)] * 4 + [(-2, PLAIN)]
    found = panel(sentences("c1", "F", rows))
    assert set(found) == {("c1", "A"), ("c1", "B")}  # topic 2 is in no theme: no row
    a = found[("c1", "A")]
    assert a["exposure"] == pytest.approx(0.3) and a["n_sentences"] == 3
    assert found[("c1", "B")]["exposure"] == pytest.approx(0.2)
    assert (a["firm_id"], a["permno"], a["gvkey"], a["earnings_call_date"]) == (
        "F",
        10001,
        "001234",
        DATE,
    )
    assert a["quarter"] == "2017Q1" and a["risk_exposure"] == 0 and a["sentiment"] == 0


def test_each_call_is_its_own_denominator_and_ids_without_metadata_stay_null() -> None:
    frame = pl.concat(
        [
            sentences("c1", "F", [(0, PLAIN), (2, PLAIN)]),
            sentences("c2", "G", [(0, PLAIN)] * 3 + [(1, PLAIN)]),  # G's topic 1: no theme
        ]
    )
    found = panel(frame)
    assert found[("c1", "A")]["exposure"] == pytest.approx(0.5)
    assert found[("c2", "A")]["exposure"] == pytest.approx(0.75)
    assert found[("c2", "A")]["permno"] is None


def test_the_risk_window_reaches_ten_words_across_sentences_but_not_into_procedure() -> None:
    rows = [
        (0, "We see some risk in the pricing of our northern stores"),  # risk inside
        (0, PLAIN),  # starts 8 words after "risk": within 10
        (0, PLAIN),  # starts 18 words after: too far
        (0, PLAIN),  # 10 words before the disclaimer, but procedure is out of the window
        (-1, "Actual results may differ due to risks and uncertainties"),
        (1, PLAIN),
    ]
    found = panel(sentences("c1", "F", rows))
    a = found[("c1", "A")]
    assert a["exposure"] == pytest.approx(4 / 5)
    assert a["risk_exposure"] == pytest.approx(2 / 5)
    assert found[("c1", "B")]["risk_exposure"] == 0


def test_near_risk_counts_words_either_side() -> None:
    ten = ["w"] * 10
    assert near_risk([["a", "risk"], ten, ["x"], ten, ten]) == [True, True, False, False, False]
    assert near_risk([ten[:9], ["uncertainty"], ten[:10]]) == [True, True, True]
    assert {"risk", "uncertainty", "uncertain", "risky"} <= risk_words()
    assert words("Risk-adjusted returns, U.S.") == ["risk", "adjusted", "returns", "u", "s"]


def test_sentiment_is_loughran_mcdonald_positive_minus_negative_over_words() -> None:
    # Positive: profits, improved, achieve, excellent; negative: losses (9 words).
    toned = "Profits improved and we achieve excellent results but losses"
    found = panel(
        sentences("c1", "F", [(0, toned), (0, PLAIN), (1, "Impairment losses weigh on results")])
    )
    assert found[("c1", "A")]["sentiment"] == pytest.approx(4 / 19 - 1 / 19)
    assert found[("c1", "B")]["sentiment"] == pytest.approx(-2 / 5)


def plan_with_sentences(
    store: ObjectStore, parts: list[pa.Table | None], run_id: str = "20260101T000000Z-aaaa"
) -> Plan:
    plan = Plan(
        "2017Q1",
        run_id,
        "f" * 64,
        "2026-01-01T00:00:00",
        [ShardPlan("00000", ["F"])],
        {},
        {"shards_in_flight": 1},
        5.0,
    )
    progress = ShardProgress("2017Q1", plan.run_id, "00000")
    for n, part in enumerate(parts):
        progress.parts.append(layout.shard_part_key("2017Q1", plan.run_id, "00000", n))
        if part is not None:
            store.write_parquet(progress.sentence_part_key(n), part)
    progress.save(store)
    return plan


def raw_call(firm_id: str, call_id: str, permno: int | None) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "call_id": call_id,
                "firm_id": firm_id,
                "firm_name": None,
                "permno": permno,
                "gvkey": None,
                "earnings_call_date": DATE,
                "quarter": "2017Q1",
                "para_idx": 0,
                "speaker": None,
                "text": PLAIN,
            }
        ],
        schema=schemas.RAW_TRANSCRIPTS,
    )


def test_the_run_s_panel_takes_ids_from_transcripts_then_firm_metadata(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path))
    store.write_parquet(layout.raw_transcripts_key("2017Q1", "src"), raw_call("F", "c1", None))
    metadata = [
        {"firm_id": "F", "firm_name": "F Inc.", "permno": 777, "gvkey": "000777", "sector": None}
    ]
    store.write_parquet(
        layout.firm_metadata_key(), pa.Table.from_pylist(metadata, schema=schemas.FIRM_METADATA)
    )
    rows = sentences("c1", "F", [(0, PLAIN), (1, PLAIN)]).to_arrow().cast(schemas.SENTENCE_TOPICS)
    plan = plan_with_sentences(store, [rows])
    contributions = pa.table(
        {"theme_id": ["A"], "firm_id": ["F"], "topic_id": pa.array([0], pa.int32())}
    )
    table = exposure_table(store, plan, contributions)
    assert table is not None
    [row] = table.to_pylist()
    assert (row["permno"], row["gvkey"], row["exposure"]) == (777, "000777", 0.5)
    # A run mapped before map wrote sentence topics has no panel; repeated rows are refused.
    before = plan_with_sentences(store, [None], "20260102T000000Z-bbbb")
    assert exposure_table(store, before, contributions) is None
    twice = plan_with_sentences(store, [rows, rows], "20260103T000000Z-cccc")
    with pytest.raises(SentenceTopicsError, match="call c1 paragraph 0 sentence 0"):
        exposure_table(store, twice, contributions)
