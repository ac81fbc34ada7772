from __future__ import annotations

import pytest

from map_worker.keywords import QuarterWords, topic_keywords

pytestmark = pytest.mark.unit

# A quarter in which every call says "growth" and "quarter"; only one firm talks about freight.
QUARTER = QuarterWords.count(
    [f"Growth this quarter was strong in region {i}." for i in range(200)]
    + ["Freight rates rose.", "Freight and trucking costs hurt margin."]
)
FREIGHT = [
    "Growth this quarter was hurt by freight rates.",
    "Freight and trucking rates rose again this quarter.",
    "Trucking capacity was tight, so freight rates stayed high.",
    "Growth in the quarter came despite freight.",
]


def keywords(topics: list[list[str]], **options: float) -> list[list[str]]:
    settings = {"n": 10, "support": 2, "weight": 1.5, **options}
    return topic_keywords(topics, QUARTER, **settings)  # type: ignore[arg-type]


def test_a_word_every_call_uses_does_not_lead() -> None:
    words = keywords([FREIGHT])[0]
    assert words[0] == "freight" and "quarter" not in words[:4]
    by_frequency = keywords([FREIGHT], weight=0)[0]  # without the quarter's weight
    assert "quarter" in by_frequency[:3]


def test_keywords_are_shared_by_the_topics_sentences_and_belong_together() -> None:
    words = keywords([FREIGHT])[0]
    assert "capacity" not in words  # said once
    assert {"freight", "rates", "freight rates", "trucking"} <= set(words)
    assert "stop" not in " ".join(words) and "the" not in words


def test_a_topic_with_too_few_shared_words_still_gets_a_few() -> None:
    words = keywords([["Zinc prices fell.", "Copper output doubled.", "Nickel stocks grew."]])[0]
    said = {"zinc", "prices", "fell", "copper", "output", "doubled", "nickel", "stocks", "grew"}
    assert len(words) == 3 and {word for term in words for word in term.split()} <= said


def test_the_quarter_idf_of_a_phrase_is_its_words_mean() -> None:
    assert QUARTER.sentences == 202
    assert QUARTER.idf("freight rates") == pytest.approx(
        (QUARTER.idf("freight") + QUARTER.idf("rates")) / 2
    )
    assert QUARTER.idf("growth") < QUARTER.idf("freight") < QUARTER.idf("unseen")
