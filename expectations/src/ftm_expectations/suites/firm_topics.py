"""Firm-topics (`intermediate/firm-topics/quarter={q}/`): map-worker's one row per (firm, topic).

Every topic carries a checked name and summary: the LLM's where one fitted the topic, else its
own keyword phrases (`keyword_fallback`, each such row named in the checklist, and at most
half of them), and the summary says more than the keyword string it was written from. A firm's call
procedure (the sentences map set aside: operator lines, greetings, disclaimers) is its topic
-1, labelled `procedure`, never any other topic.
"""

from __future__ import annotations

from ftm_expectations.datasets import FIRM_TOPICS
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

COLUMNS = contract_columns(schemas.FIRM_TOPICS)
LISTS = ("keywords", "representative_docs", "centroid")
NAMED = ["llm", "procedure"]


def suite(quarter: str) -> Suite:
    import great_expectations as gx

    expect = gx.expectations
    return Suite(
        FIRM_TOPICS,
        [
            columns_and_types(FIRM_TOPICS, COLUMNS),
            Rule(
                "Firm-topic rows complete (ids, name, keywords, docs, centroid)",
                [
                    *not_null("quarter", "firm_id", "topic_id", "representation", *LISTS),
                    *not_blank("name"),
                    expect.ExpectColumnValuesToBeInSet(column="quarter", value_set=[quarter]),
                    expect.ExpectColumnValuesToBeBetween(column="n_docs", min_value=1),
                    *non_empty_lists(*LISTS),
                ],
            ),
            Rule("Summary populated", not_blank("summary")),
            naming_rule("Topics named by the LLM", NAMED),
            Rule(
                "Call procedure only as topic -1",
                [
                    expect.ExpectColumnValuesToBeInSet(
                        column="procedure_is_topic_minus_one", value_set=[True]
                    )
                ],
                show=("naming_method",),
            ),
            Rule(
                "Summary differs from keywords",
                [
                    expect.ExpectColumnValuesToBeInSet(
                        column="summary_differs_from_keywords", value_set=[True]
                    )
                ],
                show=("summary",),
            ),
            Rule(
                "One firm-topic row per (firm, topic)",
                [expect.ExpectCompoundColumnsToBeUnique(column_list=["firm_id", "topic_id"])],
            ),
        ],
    )
