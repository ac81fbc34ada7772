"""Theme contributions (`processed/themes/quarter={q}/theme_contributions.parquet`): which
firm's topic made up which theme, with the ids (permno, gvkey, call date) that join to returns."""

from __future__ import annotations

from ftm_expectations.datasets import FIRM_TOPICS, THEME_CONTRIBUTIONS, THEMES
from ftm_expectations.suites.spec import (
    Rule,
    Suite,
    columns_and_types,
    contract_columns,
    not_null,
)
from ftm_shared import schemas

# Named on their own: downstream research joins themes to returns through them.
IDENTIFIER_NAMES = ("permno", "gvkey", "earnings_call_date")
IDENTIFIERS = contract_columns(schemas.THEME_CONTRIBUTIONS, IDENTIFIER_NAMES)
COLUMNS = {
    name: spec
    for name, spec in contract_columns(schemas.THEME_CONTRIBUTIONS).items()
    if name not in IDENTIFIER_NAMES
}


def suite(quarter: str) -> Suite:
    import great_expectations as gx

    expect = gx.expectations
    data_set = THEME_CONTRIBUTIONS
    return Suite(
        data_set,
        [
            columns_and_types(data_set, COLUMNS, require_rows=False),
            columns_and_types(
                data_set,
                IDENTIFIERS,
                "Contributions carry permno, gvkey, earnings_call_date",
                require_rows=False,
            ),
            Rule(
                "Contribution rows complete (ids, similarity in [-1, 1])",
                [
                    *not_null("theme_id", "firm_id", "topic_id", "similarity"),
                    expect.ExpectColumnValuesToBeBetween(
                        column="similarity", min_value=-1, max_value=1
                    ),
                ],
            ),
            Rule(
                "Every contribution's theme exists",
                [expect.ExpectColumnValuesToBeInSet(column="theme_exists", value_set=[True])],
                needs=(THEMES,),
            ),
            Rule(
                "Every contribution's (firm, topic) is in firm-topics",
                [expect.ExpectColumnValuesToBeInSet(column="topic_exists", value_set=[True])],
                needs=(FIRM_TOPICS,),
            ),
            Rule(
                "One contribution per (firm, topic)",
                [expect.ExpectCompoundColumnsToBeUnique(column_list=["firm_id", "topic_id"])],
            ),
        ],
    )
