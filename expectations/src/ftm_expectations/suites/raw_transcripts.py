"""Raw transcripts (`raw/transcripts/quarter={q}/`): the ingested paragraphs map-worker reads."""

from __future__ import annotations

from ftm_expectations.datasets import RAW_TRANSCRIPTS
from ftm_expectations.suites.spec import (
    DATE,
    INTEGER,
    NULLABLE_INTEGER,
    STRING,
    Rule,
    Suite,
    TypeSpec,
    columns_and_types,
    not_blank,
    not_null,
)

COLUMNS: dict[str, TypeSpec] = {
    "call_id": STRING,
    "firm_id": STRING,
    "firm_name": STRING,
    "permno": NULLABLE_INTEGER,
    "gvkey": STRING,
    "earnings_call_date": DATE,
    "quarter": STRING,
    "para_idx": INTEGER,
    "speaker": STRING,
    "text": STRING,
}


def suite(quarter: str) -> Suite:
    import great_expectations as gx

    expect = gx.expectations
    return Suite(
        RAW_TRANSCRIPTS,
        [
            columns_and_types(RAW_TRANSCRIPTS, COLUMNS),
            Rule(
                "Raw transcript rows complete (ids, quarter, text)",
                [
                    *not_null("call_id", "firm_id", "quarter", "para_idx"),
                    *not_blank("text"),
                    expect.ExpectColumnValuesToBeInSet(column="quarter", value_set=[quarter]),
                    expect.ExpectColumnValuesToBeBetween(column="para_idx", min_value=0),
                ],
            ),
            Rule(
                "One raw row per (call, paragraph)",
                [expect.ExpectCompoundColumnsToBeUnique(column_list=["call_id", "para_idx"])],
            ),
        ],
    )
