"""The exposure panel (`processed/exposure/quarter={q}/firm_theme_exposure.parquet`): for each
call, the share of its substantive sentences in each theme (reduce_worker.exposure)."""

from __future__ import annotations

from ftm_expectations.datasets import FIRM_THEME_EXPOSURE, THEMES
from ftm_expectations.suites.spec import Rule, Suite, columns_and_types, contract_columns, not_null
from ftm_shared import schemas

COLUMNS = contract_columns(schemas.FIRM_THEME_EXPOSURE)
SHARES = ("exposure", "risk_exposure")
# A call's exposures are shares of one set of sentences; float sums may pass 1 by a hair.
TOTAL_TOLERANCE = 1e-9


def suite(quarter: str) -> Suite:
    import great_expectations as gx

    expect = gx.expectations
    data_set = FIRM_THEME_EXPOSURE
    return Suite(
        data_set,
        [
            columns_and_types(data_set, COLUMNS, require_rows=False),
            Rule(
                f"Exposure ids present (firm, call, theme, quarter {quarter})",
                [
                    *not_null("firm_id", "call_id", "theme_id", "quarter"),
                    expect.ExpectColumnValuesToBeInSet(column="quarter", value_set=[quarter]),
                ],
            ),
            Rule(
                "Exposure shares in [0, 1], risk within exposure, sentiment in [-1, 1]",
                [
                    *not_null(*SHARES, "n_sentences", "sentiment"),
                    *(
                        expect.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
                        for c in SHARES
                    ),
                    expect.ExpectColumnValuesToBeBetween(
                        column="exposure", min_value=0, strict_min=True
                    ),
                    expect.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="exposure", column_B="risk_exposure", or_equal=True
                    ),
                    expect.ExpectColumnValuesToBeBetween(column="n_sentences", min_value=1),
                    expect.ExpectColumnValuesToBeBetween(
                        column="sentiment", min_value=-1, max_value=1
                    ),
                ],
            ),
            Rule(
                "Each call's total exposure at most 1",
                [
                    expect.ExpectColumnValuesToBeBetween(
                        column="call_total_exposure", min_value=0, max_value=1 + TOTAL_TOLERANCE
                    )
                ],
            ),
            Rule(
                "Every exposure theme is a theme of the quarter",
                [expect.ExpectColumnValuesToBeInSet(column="theme_exists", value_set=[True])],
                needs=(THEMES,),
            ),
            Rule(
                "One exposure row per (call, theme)",
                [expect.ExpectCompoundColumnsToBeUnique(column_list=["call_id", "theme_id"])],
            ),
        ],
    )
