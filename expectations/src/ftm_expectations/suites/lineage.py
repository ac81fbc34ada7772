"""Theme lineage (`processed/themes/quarter={q}/theme_lineage.parquet`): the quarter's themes
linked to the previous quarter's current run (reduce_worker.lineage), one row per link plus
one per new theme and per vanished previous theme. Empty, and valid, when the previous quarter
had no current run when this one was reduced."""

from __future__ import annotations

from ftm_expectations.datasets import THEME_LINEAGE, THEMES
from ftm_expectations.suites.spec import Rule, Suite, columns_and_types, contract_columns, not_null
from ftm_shared import layout, schemas

COLUMNS = contract_columns(schemas.THEME_LINEAGE)
# Cosine similarity of unit centroids, unclipped by reduce: rounding may pass 1 by a hair.
SIMILARITY_TOLERANCE = 1e-6


def suite(quarter: str) -> Suite:
    import great_expectations as gx

    expect = gx.expectations
    data_set = THEME_LINEAGE
    before = layout.previous_quarter(quarter)
    fits = ("theme_id_fits_status", "previous_theme_id_fits_status", "similarity_fits_status")
    return Suite(
        data_set,
        [
            columns_and_types(data_set, COLUMNS, require_rows=False),
            Rule(
                f"Lineage quarters are {quarter} and the one before ({before}), status known",
                [
                    *not_null("quarter", "previous_quarter", "previous_run_id", "status"),
                    expect.ExpectColumnValuesToBeInSet(column="quarter", value_set=[quarter]),
                    expect.ExpectColumnValuesToBeInSet(
                        column="previous_quarter", value_set=[before]
                    ),
                    expect.ExpectColumnValuesToBeInSet(
                        column="status", value_set=list(schemas.LINEAGE_STATUSES)
                    ),
                ],
            ),
            Rule(
                "Lineage rows fit their status (no theme only when vanished, no previous "
                "theme only when new, similarity in [-1, 1] on links only)",
                [
                    *(
                        expect.ExpectColumnValuesToBeInSet(column=column, value_set=[True])
                        for column in fits
                    ),
                    expect.ExpectColumnValuesToBeBetween(
                        column="similarity",
                        min_value=-1 - SIMILARITY_TOLERANCE,
                        max_value=1 + SIMILARITY_TOLERANCE,
                    ),
                ],
                show=("status", "similarity"),
            ),
            Rule(
                "Every lineage theme is a theme of the quarter",
                [expect.ExpectColumnValuesToBeInSet(column="theme_exists", value_set=[True])],
                needs=(THEMES,),
            ),
            Rule(
                "One lineage row per (theme, previous theme)",
                [
                    expect.ExpectCompoundColumnsToBeUnique(
                        column_list=["theme_id", "previous_theme_id"]
                    )
                ],
            ),
        ],
    )
