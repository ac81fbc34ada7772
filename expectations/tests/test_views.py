from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ftm_expectations.views import (
    contributions_view,
    exposure_view,
    firm_topics_view,
    lineage_view,
    quotes_view,
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


def test_themes_count_their_quotes_and_lineage_rows_unless_the_lineage_is_empty() -> None:
    themes = pd.DataFrame({"theme_id": ["theme_2017Q2_001", "theme_2017Q2_002"]})
    quotes = pd.DataFrame({"theme_id": ["theme_2017Q2_001"] * 2})
    lineage = pd.DataFrame({"theme_id": ["theme_2017Q2_001", None]})

    view = themes_view(themes, None, quotes, lineage)

    assert view["quote_rows"].tolist() == [2, 0]
    assert view["lineage_rows"].tolist() == [1, 0]
    unlinked = themes_view(themes, None, quotes, lineage.iloc[0:0])["lineage_rows"]
    assert unlinked.isna().all()  # no previous run: nothing to require


def test_quotes_know_their_theme_topic_repeats_and_transcript() -> None:
    quotes = pd.DataFrame(
        {
            "theme_id": ["theme_2017Q1_001"] * 3 + ["theme_2017Q1_009"],
            "firm_id": ["AAP", "AAP", "ABC", "AAP"],
            "topic_id": np.array([2, 2, 5, 2], dtype="int32"),
            "text": [
                "Margins grew in the quarter.",
                " margins  grew in the QUARTER. ",
                "Demand was  soft in retail.",
                "",
            ],
        }
    )
    themes = pd.DataFrame({"theme_id": ["theme_2017Q1_001"]})
    contributions = pd.DataFrame(
        {"theme_id": ["theme_2017Q1_001"], "firm_id": ["AAP"], "topic_id": [2]}
    )
    raw = pd.DataFrame(
        {
            "firm_id": ["AAP", "ABC"],
            "text": [
                "Thanks. Margins   grew in the quarter. Next one.",
                "Demand was <UNK> soft in retail.",
            ],
        }
    )

    view = quotes_view(quotes, themes, contributions, raw)

    assert view["quoted_words"].iloc[0] == view["quoted_words"].iloc[1]
    assert view["theme_quote_count"].tolist() == [3, 3, 3, 1]
    assert view["theme_exists"].tolist() == [True, True, True, False]
    assert view["topic_in_theme"].tolist()[:3] == [True, True, False]
    assert view["topic_in_theme"].isna().iloc[3]  # its theme is unknown: theme_exists says so
    # Case counts for the transcript (a quote is copied); spacing does not, and a mask reads
    # as the space map's cleaning made of it.
    assert view["text_in_transcripts"].tolist()[:3] == [True, False, True]
    assert view["text_in_transcripts"].isna().iloc[3]  # blank: "Quote rows complete" says so
    raw.loc[1, "text"] = "Demand was   soft in retail <UNK>."
    assert not quotes_view(quotes, None, None, raw)["text_in_transcripts"].iloc[2]
    raw.loc[1, "text"] = "Demand was <unk>  soft in retail."
    assert quotes_view(quotes, None, None, raw)["text_in_transcripts"].iloc[2]


def test_lineage_rows_know_whether_they_fit_their_status() -> None:
    lineage = pd.DataFrame(
        {
            "theme_id": ["theme_2017Q2_001", "theme_2017Q2_002", None, "theme_2017Q2_009", None],
            "previous_theme_id": ["theme_2017Q1_001", None, "theme_2017Q1_002", None, None],
            "similarity": [0.7, None, None, 0.3, None],
            "status": ["continuing", "new", "vanished", "new", "new"],
        }
    )
    themes = pd.DataFrame({"theme_id": ["theme_2017Q2_001", "theme_2017Q2_002"]})

    view = lineage_view(lineage, themes)

    assert view["theme_id_fits_status"].tolist() == [True, True, True, True, False]
    assert view["previous_theme_id_fits_status"].tolist() == [True, True, True, True, True]
    assert view["similarity_fits_status"].tolist() == [True, True, True, False, True]
    assert view["theme_exists"].tolist()[:2] == [True, True]
    assert view["theme_exists"].isna().tolist() == [False, False, True, False, True]
    assert not view["theme_exists"].iloc[3]
