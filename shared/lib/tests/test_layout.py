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
@pytest.mark.parametrize(
    ("quarter", "before"), [("2017Q2", "2017Q1"), ("2017Q1", "2016Q4"), ("2000Q4", "2000Q3")]
)
def test_the_previous_quarter_is_the_calendar_quarter_before(quarter: str, before: str) -> None:
    assert layout.previous_quarter(quarter) == before


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
        layout.published_firm_topics_key("2017Q1")
        == "intermediate/firm-topics/quarter=2017Q1/firm_topics.parquet"
    )
    assert layout.themes_key("2017Q1") == "processed/themes/quarter=2017Q1/themes.parquet"
    assert (
        layout.theme_contributions_key("2017Q1")
        == "processed/themes/quarter=2017Q1/theme_contributions.parquet"
    )
    assert (
        layout.exposure_key("2017Q1")
        == "processed/exposure/quarter=2017Q1/firm_theme_exposure.parquet"
    )
    assert layout.model_prefix_for("med", "20260101-120000") == "models/med/20260101-120000/"
    assert layout.evaluation_prefix("med", "20260101-120000") == "evaluations/med/20260101-120000/"


@pytest.mark.unit
def test_everything_a_run_writes_is_under_its_own_prefix() -> None:
    run = "runs/quarter=2017Q1/run=20261130T120000Z-0123abcd/"
    keys = {
        layout.plan_key("2017Q1", "20261130T120000Z-0123abcd"): "plan.json",
        layout.shard_items_key("2017Q1", "20261130T120000Z-0123abcd"): "shards.json",
        layout.run_manifest_key("2017Q1", "20261130T120000Z-0123abcd"): "manifest.json",
        layout.run_failures_key("2017Q1", "20261130T120000Z-0123abcd"): "failures.json",
        layout.shard_progress_key(
            "2017Q1", "20261130T120000Z-0123abcd", "00002"
        ): "shards/00002/progress.json",
        layout.shard_part_key(
            "2017Q1", "20261130T120000Z-0123abcd", "00002", 7
        ): "firm-topics/shard=00002/part-00007.parquet",
        layout.run_themes_key("2017Q1", "20261130T120000Z-0123abcd"): "themes/themes.parquet",
        layout.shard_sentence_part_key(
            "2017Q1", "20261130T120000Z-0123abcd", "00002", 7
        ): "sentence-topics/shard=00002/part-00007.parquet",
        layout.run_exposure_key(
            "2017Q1", "20261130T120000Z-0123abcd"
        ): "exposure/firm_theme_exposure.parquet",
    }
    for key, rest in keys.items():
        assert key == run + rest
    assert layout.execution_key("2017Q1", "exec-1") == "runs/quarter=2017Q1/executions/exec-1.json"
    with pytest.raises(InputError, match="run id"):
        layout.run_prefix("2017Q1", "../other")


@pytest.mark.parametrize(
    ("spec", "quarters"),
    [
        ("2017Q2", ["2017Q2"]),
        ("2016Q3..2017Q2", ["2016Q3", "2016Q4", "2017Q1", "2017Q2"]),
        ("2017Q4,2017Q1..2017Q2,2017Q1", ["2017Q1", "2017Q2", "2017Q4"]),
        ("2015Q1..2018Q4", [f"{y}Q{q}" for y in range(2015, 2019) for q in range(1, 5)]),
    ],
)
def test_quarter_specs_give_calendar_order_each_once(spec: str, quarters: list[str]) -> None:
    assert layout.parse_quarters(spec) == quarters


@pytest.mark.parametrize("spec", ["2017Q3..2017Q1", "2017Q1..", "..2017Q1", "2017Q5", "2017"])
def test_bad_quarter_specs_are_refused(spec: str) -> None:
    with pytest.raises(InputError):
        layout.parse_quarters(spec)
