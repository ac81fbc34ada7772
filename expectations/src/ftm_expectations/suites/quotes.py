"""Theme quotes (`processed/themes/quarter={q}/theme_quotes.parquet`): each theme's most
representative sentences, taken from its member topics' representative sentences, with who
said them and when (reduce_worker.quotes), so a reader can check what a theme means."""

from __future__ import annotations

from ftm_expectations.datasets import RAW_TRANSCRIPTS, THEME_CONTRIBUTIONS, THEME_QUOTES, THEMES
from ftm_expectations.suites.spec import (
    Rule,
    Suite,
    columns_and_types,
    contract_columns,
    not_blank,
    not_null,
)
from ftm_shared import schemas

COLUMNS = contract_columns(schemas.THEME_QUOTES)
# A quote's similarity is its topic's to the theme centroid, written unclipped (the
# contributions clip theirs): float rounding may put a dominant member a hair past 1.
SIMILARITY_TOLERANCE = 1e-6


def suite(quarter: str) -> Suite:
    import great_expectations as gx

    expect = gx.expectations
    data_set = THEME_QUOTES
    return Suite(
        data_set,
        [
            columns_and_types(data_set, COLUMNS, require_rows=False),
            Rule(
                "Quote rows complete (ids, text, rank >= 1, similarity in [-1, 1])",
                [
                    *not_null("theme_id", "rank", "firm_id", "topic_id", "similarity"),
                    *not_blank("text"),
                    expect.ExpectColumnValuesToBeBetween(column="rank", min_value=1),
                    expect.ExpectColumnValuesToBeBetween(
                        column="similarity",
                        min_value=-1 - SIMILARITY_TOLERANCE,
                        max_value=1 + SIMILARITY_TOLERANCE,
                    ),
                ],
            ),
            Rule(
                "Quote ranks 1..n, one quote per (theme, rank)",
                [
                    expect.ExpectCompoundColumnsToBeUnique(column_list=["theme_id", "rank"]),
                    expect.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="theme_quote_count", column_B="rank", or_equal=True
                    ),
                ],
            ),
            Rule(
                "No sentence quoted twice for a theme (case and spacing aside)",
                [expect.ExpectCompoundColumnsToBeUnique(column_list=["theme_id", "quoted_words"])],
                show=("text",),
            ),
            Rule(
                "Every quote's theme is a theme of the quarter",
                [expect.ExpectColumnValuesToBeInSet(column="theme_exists", value_set=[True])],
                needs=(THEMES,),
            ),
            Rule(
                "Every quote is from a member topic of its theme (in the contributions)",
                [expect.ExpectColumnValuesToBeInSet(column="topic_in_theme", value_set=[True])],
                show=("firm_id", "topic_id"),
                needs=(THEME_CONTRIBUTIONS,),
            ),
            Rule(
                "Every quote is verbatim in its firm's raw transcripts",
                [
                    expect.ExpectColumnValuesToBeInSet(
                        column="text_in_transcripts", value_set=[True]
                    )
                ],
                show=("firm_id", "text"),
                needs=(RAW_TRANSCRIPTS,),
            ),
        ],
    )
