from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ftm_expectations.views import (
    contributions_view,
    exposure_view,
    firm_topics_view,
    themes_view,
)

pytestmark = pytest.mark.unit


def test_a_summary_that_only_restates_the_keywords_does_not_differ() -> None:
    # Representations and summaries from the real map-worker fixture's shape.
    topics = pd.DataFrame(
        {
            "representation": ["customer_important_professional_build"] * 4,
            "keywords": [np.array(["customer", "important", "professional", "build"])] * 4,
            "summary": [
                "Customer, important, professional; build.",
                "customer important professional build",
                "We're building it out from there with professional customers in mind.",
                " ",
            ],
        }
    )

    differs = firm_topics_view(topics)["summary_differs_from_keywords"]

    assert differs.iloc[:3].tolist() == [False, False, True]
    assert differs.isna().iloc[3]  # an empty summary is the "Summary populated" criterion's


def test_call_procedure_is_only_ever_topic_minus_one() -> None:
    topics = pd.DataFrame(
        {
            "topic_id": [-1, 0, -1, 3],
            "naming_method": ["procedure", "llm", "llm", "procedure"],
        }
    )
    fits = firm_topics_view(topics)["procedure_is_topic_minus_one"]
    assert fits.tolist() == [True, True, False, False]


def test_themes_are_counted_in_their_contributions() -> None:
    themes = pd.DataFrame({"theme_id": ["theme_2017Q1_001", "theme_2017Q1_002"]})
    contributions = pd.DataFrame(
        {"theme_id": ["theme_2017Q1_001"] * 3, "firm_id": ["AAP", "AAP", "ABC"]}
    )

    view = themes_view(themes, contributions)

    assert view["contribution_rows"].tolist() == [3, 0]
    assert view["contribution_firms"].tolist() == [2, 0]
    assert "contribution_rows" not in themes_view(themes, None).columns


def test_contributions_know_whether_their_theme_and_topic_exist() -> None:
    contributions = pd.DataFrame(
        {
            "theme_id": ["theme_2017Q1_001", "theme_2017Q1_009"],
            "firm_id": ["AAP", "ABC"],
            "topic_id": np.array([2, 5], dtype="int32"),
        }
    )
    themes = pd.DataFrame({"theme_id": ["theme_2017Q1_001"]})
    topics = pd.DataFrame({"firm_id": ["AAP", "AAP"], "topic_id": np.array([2, 2], dtype="int64")})

    view = contributions_view(contributions, themes, topics)

    assert view["theme_exists"].tolist() == [True, False]
    assert view["topic_exists"].tolist() == [True, False]
    assert {"theme_exists", "topic_exists"}.isdisjoint(
        contributions_view(contributions, None, None)
    )


def test_the_exposure_panel_knows_each_call_s_total_and_whether_its_theme_exists() -> None:
    exposure = pd.DataFrame(
        {
            "call_id": ["c1", "c1", "c2"],
            "theme_id": ["theme_2017Q1_001", "theme_2017Q1_002", "theme_2017Q1_009"],
            "exposure": [0.3, 0.2, 0.9],
        }
    )
    themes = pd.DataFrame({"theme_id": ["theme_2017Q1_001", "theme_2017Q1_002"]})
    view = exposure_view(exposure, themes)
    assert view["call_total_exposure"].tolist() == pytest.approx([0.5, 0.5, 0.9])
    assert view["theme_exists"].tolist() == [True, True, False]
    assert "theme_exists" not in exposure_view(exposure, None).columns
