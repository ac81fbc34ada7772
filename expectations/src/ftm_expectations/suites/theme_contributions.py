"""Theme contributions (`processed/themes/quarter={q}/theme_contributions.parquet`): which
firm's topic made up which theme, with the ids (permno, gvkey, call date) that join to returns."""

from __future__ import annotations

from ftm_expectations.datasets import FIRM_TOPICS, THEME_CONTRIBUTIONS, THEMES
from ftm_expectations.suites.spec import (
    DATE,
    FLOAT,
    INTEGER,
    NULLABLE_INTEGER,
    STRING,
    Rule,
    Suite,
    TypeSpec,
    columns_and_types,
    not_null,
)

COLUMNS: dict[str, TypeSpec] = {
    "theme_id": STRING,
    "firm_id": STRING,
    "firm_name": STRING,
    "topic_id": INTEGER,
    "similarity": FLOAT,
}
# Named on their own: downstream research joins themes to returns through them.
IDENTIFIERS: dict[str, TypeSpec] = {
    "permno": NULLABLE_INTEGER,
    "gvkey": STRING,
    "earnings_call_date": DATE,
}


def suite(quarter: str) -> Suite:
    import great_expectations as gx

    expect = gx.expectations
    data_set = THEME_CONTRIBUTIONS
    return Suite(
        data_set,
        [
            columns_and_types(data_set, COLUMNS),
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
