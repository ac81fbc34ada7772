"""Themes (`processed/themes/quarter={q}/themes.parquet`): reduce-worker's cross-firm themes.

A quarter has themes: none means its firms share no subject (too few of them, or too unlike),
one criterion that says so; the tables that follow from themes may then be empty. Every theme
is named by the LLM (`naming_method` `llm`) or, where no LLM answer fitted it, by its keyword
phrases (`keyword_fallback`, each named in the checklist, at most half of them). Reduce quotes
every theme (each member topic has representative sentences, never blank), gives it rows in
the exposure panel (its member firms' calls) and, when the previous quarter has a run, a
lineage row (a link or `new`).
"""

from __future__ import annotations

from ftm_expectations.datasets import (
    FIRM_THEME_EXPOSURE,
    THEME_CONTRIBUTIONS,
    THEME_LINEAGE,
    THEME_QUOTES,
    THEMES,
)
from ftm_expectations.suites.spec import (
    Rule,
    Suite,
    columns_and_types,
    contract_columns,
    naming_rule,
    non_empty_lists,
    not_blank,
    not_null,
)
from ftm_shared import schemas

COLUMNS = contract_columns(schemas.THEMES)


def suite(quarter: str) -> Suite:
    import great_expectations as gx

    expect = gx.expectations
    return Suite(
        THEMES,
        [
            Rule(
                "At least one theme (none: the quarter's firms share no subject, too few or "
                "too unlike)",
                [expect.ExpectTableRowCountToBeBetween(min_value=1)],
                per_row=False,
            ),
            columns_and_types(THEMES, COLUMNS, require_rows=False),
            Rule(
                f"Theme ids unique and like theme_{quarter}_NNN",
                [
                    *not_null("theme_id"),
                    expect.ExpectColumnValuesToMatchRegex(
                        column="theme_id", regex=rf"^theme_{quarter}_\d{{3}}$"
                    ),
                    expect.ExpectColumnValuesToBeUnique(column="theme_id"),
                ],
            ),
            Rule(
                "Theme rows complete (name, description, counts, keywords)",
                [
                    *not_blank("name", "description"),
                    *not_null("n_firms", "n_topics", "keywords"),
                    expect.ExpectColumnValuesToBeBetween(column="n_firms", min_value=1),
                    expect.ExpectColumnValuesToBeBetween(column="n_topics", min_value=1),
                    *non_empty_lists("keywords"),
                ],
            ),
            naming_rule("Themes named by the LLM", ["llm"]),
            Rule(
                "Theme counts match contributions (n_topics, n_firms)",
                [
                    expect.ExpectColumnPairValuesToBeEqual(
                        column_A="n_topics", column_B="contribution_rows"
                    ),
                    expect.ExpectColumnPairValuesToBeEqual(
                        column_A="n_firms", column_B="contribution_firms"
                    ),
                ],
                show=("n_topics", "contribution_rows", "n_firms", "contribution_firms"),
                needs=(THEME_CONTRIBUTIONS,),
            ),
            Rule(
                "Every theme has a quote",
                [expect.ExpectColumnValuesToBeBetween(column="quote_rows", min_value=1)],
                needs=(THEME_QUOTES,),
            ),
            Rule(
                "Every theme is in the exposure panel",
                [expect.ExpectColumnValuesToBeBetween(column="exposure_rows", min_value=1)],
                needs=(FIRM_THEME_EXPOSURE,),
            ),
            Rule(
                "Every theme is in the lineage (when the previous quarter has a run)",
                [expect.ExpectColumnValuesToBeBetween(column="lineage_rows", min_value=1)],
                needs=(THEME_LINEAGE,),
            ),
        ],
    )
