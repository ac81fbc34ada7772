from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from reduce_worker.quality import (
    ThemeView,
    content_words,
    keyword_npmi,
    measure,
    topic_diversity,
)

pytestmark = pytest.mark.unit

SENTENCES = [
    "Freight rates and trucking costs rose.",
    "Trucking and freight capacity stayed tight.",
    "Freight costs rose again.",
    "Deposit growth was strong at the bank.",
    "Loan growth and deposit costs improved.",
    "The weather was cold.",
]


def test_npmi_scores_words_that_share_sentences_above_words_that_never_do() -> None:
    coherent = keyword_npmi([["freight", "trucking"]], SENTENCES)
    apart = keyword_npmi([["freight", "deposit"]], SENTENCES)
    assert coherent > 0 and apart == -1.0
    assert math.isnan(keyword_npmi([["freight"]], SENTENCES))  # one word: no pair to score


def test_content_words_split_phrases_and_drop_stop_words() -> None:
    assert content_words(["freight rates", "the", "rates", "of trucking"]) == [
        "freight",
        "rates",
        "trucking",
    ]


def test_diversity_is_the_share_of_distinct_top_words() -> None:
    assert topic_diversity([["freight", "rates"], ["deposit", "loan"]]) == 1.0
    assert topic_diversity([["growth", "quarter"], ["growth", "quarter"]]) == 0.5


def rows(*topics: dict[str, object]) -> pd.DataFrame:
    base = {"keywords": ["freight"], "n_docs": 5, "naming_method": "llm"}
    return pd.DataFrame([{**base, **topic} for topic in topics])


def good(firm: str, topic_id: int, name: str = "Freight costs") -> dict[str, object]:
    return {
        "firm_id": firm,
        "topic_id": topic_id,
        "name": name,
        "summary": "Freight costs rose again.",
        "representative_docs": ["Freight rates and trucking costs rose.", "Freight costs rose."],
    }


def test_a_theme_of_procedural_topics_is_found() -> None:
    procedural_docs = ["Thank you for joining us today.", "I will now turn the call over to Bob."]
    table = rows(
        good("A", 0),
        {**good("B", 0), "representative_docs": procedural_docs},
        {**good("C", 0), "representative_docs": procedural_docs},
        {"firm_id": "A", "topic_id": -1, "n_docs": 3, "naming_method": "procedure",
         "name": "Call procedure", "summary": "-", "representative_docs": procedural_docs},
    )  # fmt: skip
    report = measure(table, SENTENCES, [ThemeView([0]), ThemeView([1, 2])], documents=30)
    assert report["procedural_topics"] == 2 and report["procedural_themes"] == 1
    assert report["procedural_sentences"] == 3 and report["procedural_share"] == 0.1
    assert report["topics"] == 3 and report["firms_covered"] == 3


def test_a_catch_all_theme_shows_in_its_shares_of_topics_and_firms() -> None:
    table = rows(*(good(f"F{i}", 0) for i in range(10)), good("F0", 1))
    report = measure(table, SENTENCES, [ThemeView(list(range(10))), ThemeView([10])])
    assert report["largest_theme_topic_share"] == pytest.approx(10 / 11, abs=1e-4)
    assert report["largest_theme_firm_share"] == 1.0 and report["firms_per_theme_max"] == 10


def test_fragment_and_copied_names_and_invented_facts_are_counted() -> None:
    table = rows(
        good("A", 0, name="Turn"),
        good("A", 1, name="Freight rates and trucking costs"),
        {**good("B", 0), "summary": "Freight costs rose 12% in Ohio."},
        good("B", 1),
    )
    report = measure(table, SENTENCES, [ThemeView([0, 2], "Yes, let me take that")])
    assert report["fragment_name_share"] == 0.25 and report["copied_name_share"] == 0.25
    assert report["fragment_or_copied_name_share"] == 0.5
    assert report["ungrounded_summary_share"] == 0.25
    assert report["theme_fragment_name_share"] == 1.0


def test_summaries_and_descriptions_saying_more_than_their_sources_are_counted() -> None:
    table = rows(
        good("A", 0),
        {**good("A", 1), "summary": "Freight costs rose in the midst of a pandemic."},
        {**good("B", 0), "name": "Freight", "summary": "Freight is the carriage of goods."},
        good("B", 1),
    )
    themes = [
        ThemeView([0, 2], "Freight costs", description="Firms report freight costs rising."),
        ThemeView([1, 3], "Trucking", description="Firms report trucking insolvency."),
    ]
    report = measure(table, SENTENCES, themes)
    assert report["unsupported_summary_share"] == 0.5
    assert report["theme_unsupported_description_share"] == 0.5


def test_descriptions_retelling_a_member_topics_summary_are_counted() -> None:
    summary = "Freight costs rose again as trucking capacity stayed tight this quarter."
    table = rows(*({**good(firm, 0), "summary": summary} for firm in "ABC"))
    retold = "Firms say freight costs rose again as trucking capacity stayed tight."
    own = "Firms report freight and trucking costs rising in the quarter."
    themes = [
        ThemeView([0], "Freight", description=retold),
        ThemeView([1], "Trucking", description=own),
        ThemeView([2], "Freight, trucking"),  # named by its keywords: not counted
    ]
    report = measure(table, SENTENCES, themes)
    assert report["theme_descriptions"] == 2 and report["theme_copied_description_share"] == 0.5
    assert report["theme_unfinished_or_looping_description_share"] == 0.0


def test_summaries_cut_off_or_looping_are_counted() -> None:
    cut = "Freight costs rose again as trucking capacity,"
    looping = "Freight costs rose, freight costs rose, freight costs rose."
    table = rows(
        good("A", 0), {**good("A", 1), "summary": cut}, {**good("B", 0), "summary": looping}
    )
    descriptions = [cut, "Firms report freight costs rising.", "We saw freight costs rise."]
    report = measure(
        table, SENTENCES, [ThemeView([0], "Freight", description=d) for d in descriptions]
    )
    assert report["unfinished_or_looping_summary_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["theme_unfinished_or_looping_description_share"] == pytest.approx(1 / 3, 1e-3)
    assert report["theme_first_person_description_share"] == pytest.approx(1 / 3, 1e-3)


def test_nothing_named_leaves_the_name_measures_empty() -> None:
    table = rows({**good("A", 0), "naming_method": None})
    report = measure(table, SENTENCES, [])
    assert report["fragment_or_copied_name_share"] is None and report["themes"] == 0
    assert np.isfinite(report["keyword_npmi"] or 0.0)
