"""Raw transcripts (`raw/transcripts/quarter={q}/`): the ingested paragraphs map-worker reads."""

from __future__ import annotations

from ftm_expectations.datasets import RAW_TRANSCRIPTS
from ftm_expectations.suites.spec import (
    Rule,
    Suite,
    columns_and_types,
    contract_columns,
    not_blank,
    not_null,
)
from ftm_shared import schemas

COLUMNS = contract_columns(schemas.RAW_TRANSCRIPTS)


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
