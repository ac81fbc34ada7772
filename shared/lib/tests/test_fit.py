from __future__ import annotations

import numpy as np
import pytest

from ftm_shared.llm.accept import AnswerRejectedError
from ftm_shared.llm.fit import (
    NameGate,
    accuracy,
    fit_ranks,
    keyword_candidates,
    keyword_name,
)
from ftm_shared.llm.grounding import repeated_phrase

pytestmark = pytest.mark.unit

# Three items on the axes; a text's embedding is the axis its first word names.
AXES = {"cloud": 0, "cash": 1, "labor": 2}


def fake_embed(texts: list[str]) -> np.ndarray:
    vectors = np.zeros((len(texts), 3))
    for row, text in enumerate(texts):
        vectors[row, AXES[text.split()[0].lower().strip(",")]] = 1.0
    return vectors


def test_a_name_ranks_its_own_item_first_only_when_nothing_else_is_as_close() -> None:
    centroids = np.eye(3)
    names = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.8, 0.0]])
    assert fit_ranks(names, centroids, [0, 0, 1]).tolist() == [1, 3, 1]
    # a tie counts against the name: it does not tell its item apart
    assert fit_ranks(np.array([[1.0, 1.0, 0.0]]), centroids, [0]).tolist() == [2]


def test_accuracy_is_the_share_within_k_and_none_without_names() -> None:
    assert accuracy([1, 2, 3, 1], 1) == 0.5
    assert accuracy([1, 2, 3, 1], 3) == 1.0
    assert accuracy([], 1) is None


def test_keyword_names_add_a_new_word_each_and_never_repeat_a_phrase() -> None:
    keywords = ["cash flow", "cash", "free cash flow", "dividends", "buyback", "capital"]
    assert keyword_name(keywords) == "Cash flow, dividends, buyback"
    assert keyword_candidates(keywords)[-1] == "Cash flow"
    assert keyword_name([]) == "No keywords"
    # A plural is the same word: never "Revenues, revenue".
    assert keyword_name(["revenues", "revenue", "growth"]) == "Revenues, growth"


@pytest.mark.parametrize(
    "keywords",
    [  # keyword-named topics of 66 firms of 2017Q1 that once read "Bands, bands hearing"
        ["cardtronics", "cardtronics great", "day"],
        ["rehearsing", "bands", "bands hearing"],
        ["metals", "metals business", "solution", "healthcare"],
    ],
)
def test_no_keyword_name_says_a_word_twice(keywords: list[str]) -> None:
    for name in keyword_candidates(keywords):
        assert repeated_phrase(name) is None, name


def test_the_gate_refuses_a_name_or_summary_that_fits_another_item() -> None:
    fit = NameGate(fake_embed, np.eye(3)).item(0)
    fit.check("Cloud growth", "Cloud revenue rose")
    with pytest.raises(AnswerRejectedError, match="name fits 2 other"):
        fit.check("Cash returns", "Cloud revenue rose")
    with pytest.raises(AnswerRejectedError, match="summary fits"):
        fit.check("Cloud growth", "Labor costs rose")


def test_a_single_item_has_nothing_to_be_told_apart_from() -> None:
    NameGate(fake_embed, np.eye(3)[:1]).item(0).check("Cash returns", "Labor costs rose")


def test_the_keyword_name_chosen_is_the_candidate_that_fits_best() -> None:
    fit = NameGate(fake_embed, np.eye(3)).item(2)
    # the first candidate leads with "cash"; from the second phrase on, it leads with "labor"
    assert fit.keyword_name(["cash", "labor costs", "wages", "overtime"]) == (
        "Labor costs, wages, overtime"
    )
