"""The suites as code, one module per data set; rebuilt and saved on every run.

A suite is a list of rules, and each rule is one line of the checklist decided by one or more
expectations: a *row* rule counts rows (a row fails when any of its expectations flags it), a
*table* rule counts checks (columns present, types, at least one row).
"""

from __future__ import annotations

from ftm_expectations.config import quiet_great_expectations
from ftm_expectations.suites.spec import Rule, Suite


def all_suites(quarter: str) -> list[Suite]:
    quiet_great_expectations()  # before the suite modules' first great_expectations import
    from ftm_expectations.suites import (
        exposure,
        firm_topics,
        lineage,
        quotes,
        raw_transcripts,
        theme_contributions,
        themes,
    )

    return [
        raw_transcripts.suite(quarter),
        firm_topics.suite(quarter),
        themes.suite(quarter),
        theme_contributions.suite(quarter),
        exposure.suite(quarter),
        quotes.suite(quarter),
        lineage.suite(quarter),
    ]


__all__ = ["Rule", "Suite", "all_suites"]
