from __future__ import annotations

import pytest

from ftm_shared import layout
from ftm_shared.errors import InputError


@pytest.mark.unit
@pytest.mark.parametrize("quarter", ["2017Q1", "2020Q4"])
def test_valid_quarters(quarter: str) -> None:
    assert layout.validate_quarter(quarter) == quarter


@pytest.mark.unit
@pytest.mark.parametrize("quarter", ["2017Q5", "Q2", "2017q1", "2017-Q1", ""])
def test_invalid_quarters_are_refused(quarter: str) -> None:
    with pytest.raises(InputError, match="quarter must look like 2017Q1"):
        layout.validate_quarter(quarter)


@pytest.mark.unit
@pytest.mark.parametrize("firm_id", ["a/b", "..", "x..y", "/abs", "", ".hidden"])
def test_unsafe_segments_are_refused(firm_id: str) -> None:
    with pytest.raises(InputError, match="cannot be used in an object key"):
        layout.safe_segment(firm_id, "firm_id")


@pytest.mark.unit
def test_contract_keys() -> None:
    assert (
        layout.raw_transcripts_key("2017Q1", "maec")
        == "raw/transcripts/quarter=2017Q1/maec.parquet"
    )
    assert (
        layout.firm_topics_part_key("2017Q1", "b1", 3)
        == "intermediate/firm-topics/quarter=2017Q1/b1_part-00003.parquet"
    )
    assert layout.checkpoint_key("2017Q1", "b1") == "progress/2017Q1/b1_checkpoint.json"
    assert layout.failures_key("2017Q1", "b1") == "progress/2017Q1/b1_failures.json"
    assert layout.themes_key("2017Q1") == "processed/themes/quarter=2017Q1/themes.parquet"
    assert (
        layout.theme_contributions_key("2017Q1")
        == "processed/themes/quarter=2017Q1/theme_contributions.parquet"
    )
    assert layout.model_prefix_for("med", "20260101-120000") == "models/med/20260101-120000/"
    assert layout.evaluation_prefix("med", "20260101-120000") == "evaluations/med/20260101-120000/"
