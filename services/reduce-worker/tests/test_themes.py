from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.inputs import quarter_topics
from reduce_worker.runner import find_themes
from reduce_worker.themes import (
    Partition,
    TopicTerms,
    keyword_idf,
    partition,
    shared_keywords,
    subject_words,
)

THEME_ID = re.compile(r"^theme_\d{4}Q[1-4]_\d{3}$")


def themes_of(table: pa.Table, settings: ReduceWorkerSettings) -> Partition:
    return find_themes(quarter_topics(table), settings, "2017Q1")


def member_keys(table: pa.Table, settings: ReduceWorkerSettings) -> list[set[tuple[str, int]]]:
    topics = quarter_topics(table)
    firms, ids = topics.rows["firm_id"].to_pylist(), topics.rows["topic_id"].to_pylist()
    found = find_themes(topics, settings, "2017Q1")
    return [{(firms[i], ids[i]) for i in theme.members} for theme in found.themes]


@pytest.mark.unit
def test_planted_themes_are_found_and_every_topic_is_counted_once(
    planted: Callable[..., pa.Table], settings: ReduceWorkerSettings
) -> None:
    table = planted(themes=6, firms=4, solo=3, strays=2)
    found = themes_of(table, settings)
    assert len(found.themes) == 6
    assert all(THEME_ID.match(theme.theme_id) for theme in found.themes)
    assert [theme.theme_id for theme in found.themes] == [
        f"theme_2017Q1_{n:03d}" for n in range(1, 7)
    ]
    assert all(theme.n_topics == 4 and theme.n_firms == 4 for theme in found.themes)
    # One firm's three look-alike topics and two strays: firm-specific, in three groups.
    assert (found.firm_specific, found.firm_specific_groups, found.unassigned) == (5, 3, 0)
    assert found.in_themes + found.firm_specific + found.unassigned == table.num_rows
    assert all((theme.similarity >= settings.theme_min_similarity).all() for theme in found.themes)
    assert all(np.all(np.diff(theme.similarity) <= 0) for theme in found.themes)


@pytest.mark.unit
def test_more_planted_themes_more_themes(
    planted: Callable[..., pa.Table], settings: ReduceWorkerSettings
) -> None:
    assert len(themes_of(planted(themes=2, firms=3, seed=1), settings).themes) == 2
    assert len(themes_of(planted(themes=11, firms=3, seed=2), settings).themes) == 11


@pytest.mark.unit
def test_themes_do_not_depend_on_row_order(
    planted: Callable[..., pa.Table], settings: ReduceWorkerSettings
) -> None:
    table = planted(themes=5, firms=3, solo=2, strays=3, noise=0.05)
    shuffled = table.take(pa.array(np.random.default_rng(7).permutation(table.num_rows)))
    assert member_keys(table, settings) == member_keys(shuffled, settings)
    ids = [t.theme_id for t in themes_of(shuffled, settings).themes]
    assert ids == [t.theme_id for t in themes_of(table, settings).themes]


@pytest.mark.unit
def test_min_theme_firms_decides_what_is_firm_specific(
    planted: Callable[..., pa.Table], settings: ReduceWorkerSettings
) -> None:
    table = planted(themes=3, firms=2, solo=3)
    assert len(themes_of(table, settings).themes) == 3
    lenient = settings.model_copy(update={"min_theme_firms": 1})
    with_solo = themes_of(table, lenient)
    assert len(with_solo.themes) == 4 and with_solo.firm_specific == 0
    # The solo theme has more topics (3) than the others (2), so it comes first.
    assert (with_solo.themes[0].n_topics, with_solo.themes[0].n_firms) == (3, 1)
    strict = settings.model_copy(update={"min_theme_firms": 3})
    assert themes_of(table, strict).themes == []


def unit(*directions: list[float]) -> np.ndarray:
    vectors = np.array(directions, dtype=np.float64)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.unit
def test_a_member_far_from_its_themes_centroid_is_unassigned() -> None:
    vectors = unit([1, 0.1, 0], [1, 0, 0.1], [1, -0.1, 0], [1, 0, -0.1], [0.2, 1, 0])
    found = partition(
        vectors,
        np.zeros(5, dtype=np.int64),
        np.array(["A", "B", "C", "D", "E"]),
        [["freight rates"]] * 5,
        quarter="2017Q1",
        min_similarity=0.5,
        min_firms=2,
        n_keywords=5,
    )
    assert found.unassigned == 1
    assert [sorted(t.members.tolist()) for t in found.themes] == [[0, 1, 2, 3]]
    assert found.themes[0].n_firms == 4


@pytest.mark.unit
def test_ids_grow_past_999_themes_without_renumbering_the_first() -> None:
    n = 1000
    vectors = np.eye(n, dtype=np.float32)
    found = partition(
        vectors,
        np.arange(n),
        np.arange(n).astype(str),
        [["loan growth"]] * n,
        quarter="2017Q1",
        min_similarity=0.5,
        min_firms=1,
        n_keywords=5,
    )
    assert found.themes[0].theme_id == "theme_2017Q1_001"
    assert found.themes[-1].theme_id == "theme_2017Q1_1000"


@pytest.mark.unit
def test_theme_keywords_are_what_its_firms_share_not_one_firms_words() -> None:
    terms = [
        TopicTerms.of(["cloud", "openshift", "subscription"]),
        TopicTerms.of(["cloud", "subscription revenue"]),
        TopicTerms.of(["verifone", "cloud"], ["Subscription sales grew."]),
    ]
    idf = keyword_idf(terms)
    keywords = shared_keywords(terms, ["a", "b", "c"], idf, 5)
    # used by all three firms (c says "subscription" only in a sentence); never a one-firm name
    assert keywords[:2] == ["cloud", "subscription"]
    assert "openshift" not in keywords and "verifone" not in keywords


@pytest.mark.unit
def test_firms_that_share_no_word_are_firm_specific_not_a_theme() -> None:
    # Two firms' topics close in the embedding (helicopters, black hawk) that share no word.
    vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [0.1, 0.99]], dtype=np.float32)
    found = partition(
        vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
        np.array([0, 0, 1, 1]),
        np.array(["a", "b", "a", "b"]),
        [["sikorsky", "black hawk"], ["army", "helicopter"], ["cash flow"], ["cash", "flow"]],
        quarter="2017Q1",
        min_similarity=0.5,
        min_firms=2,
        n_keywords=5,
    )
    assert (found.firm_specific, found.firm_specific_groups) == (2, 1)
    assert [sorted(t.keywords) for t in found.themes] == [["cash", "flow"]]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("keywords", "theme"),
    [
        ([["growth", "pizza"], ["growth", "hut"]], False),  # one broad word in common
        ([["course", "better", "strong"], ["course", "better", "early"]], False),  # call words
        ([["cash flow"], ["cash flow", "buybacks"]], True),  # one phrase of two subject words
        ([["growth", "loan"], ["loan growth"]], True),
    ],
)
def test_firms_sharing_fewer_than_two_subject_words_make_no_theme(
    keywords: list[list[str]], theme: bool
) -> None:
    vectors = np.array([[1.0, 0.0], [0.99, 0.14]], dtype=np.float32)
    found = partition(
        vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
        np.array([0, 0]),
        np.array(["a", "b"]),
        keywords,
        quarter="2017Q1",
        min_similarity=0.5,
        min_firms=2,
        n_keywords=5,
    )
    assert (len(found.themes) == 1) == theme
    assert found.firm_specific == (0 if theme else 2)


@pytest.mark.unit
def test_a_phrase_as_shared_as_its_words_takes_their_place() -> None:
    terms = [
        TopicTerms.of(["lease", "estate", "real estate", "building"]),
        TopicTerms.of(["estate", "lease"], ["Our real estate and building costs rose."]),
        TopicTerms.of(["real", "building", "lease"], ["We sold real estate."]),
    ]
    keywords = shared_keywords(terms, ["a", "b", "c"], keyword_idf(terms), 5)
    assert "real estate" in keywords
    assert "estate" not in keywords and "real" not in keywords


@pytest.mark.unit
def test_a_plural_beside_its_singular_is_one_keyword_and_one_subject_word() -> None:
    terms = [TopicTerms.of(["store", "stores"]), TopicTerms.of(["stores", "store"])]
    assert shared_keywords(terms, ["a", "b"], keyword_idf(terms), 5) in (["store"], ["stores"])
    assert subject_words(["store", "stores", "years"]) == {"store"}
