"""The smoke run's own criteria on crafted outputs."""

from __future__ import annotations

import pandas as pd
import pytest

from ftm_ops.smoke.checks import llm_named_criterion

pytestmark = pytest.mark.unit


def topics(methods: list[str]) -> pd.DataFrame:
    procedure = [{"topic_id": -1, "naming_method": "procedure"}] * 5
    named = [{"topic_id": i, "naming_method": m} for i, m in enumerate(methods)]
    return pd.DataFrame(procedure + named)


def test_two_topics_in_ten_named_by_their_keywords_pass_and_procedure_does_not_count() -> None:
    criterion = llm_named_criterion(topics(["llm"] * 8 + ["keyword_fallback"] * 2))
    assert criterion.passed and criterion.detail.startswith("8/10 (80%")


def test_more_topics_named_by_keywords_fail() -> None:
    assert not llm_named_criterion(topics(["llm"] * 7 + ["keyword_fallback"] * 3)).passed


def test_no_topic_at_all_fails() -> None:
    assert not llm_named_criterion(pd.DataFrame()).passed
