from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from map_worker.config import TopicTuning
from map_worker.documents import clean
from map_worker.embed import embed
from map_worker.topics import STOP_WORDS, firm_topics

TUNING = TopicTuning()

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def firm_sentences(data_dir: Path) -> dict[str, list[str]]:
    frame = pd.read_parquet(data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet")
    frame = frame[frame.quarter == "2017Q1"]
    texts = {}
    for firm in ("ABC", "AAOI"):
        cleaned = [clean(t) for t in frame[frame.firm_id == firm].text]
        texts[firm] = [t for t in cleaned if len(t.split()) >= TUNING.min_sentence_words]
    return texts


def test_a_real_firm_gets_several_seeded_topics_without_stop_word_keywords(
    firm_sentences: dict[str, list[str]],
) -> None:
    texts = firm_sentences["ABC"]
    vectors = embed(texts)
    topics = firm_topics(texts, vectors, TUNING, seed=7)
    assert len(topics) >= 3
    assert [t.topic_id for t in topics] == list(range(len(topics)))
    assert all(t.keywords and not set(t.keywords) & set(STOP_WORDS) for t in topics)
    assert not any("unk" in k.lower() for t in topics for k in t.keywords)
    assert all(
        len(t.representative_docs) == 3 and t.representative_docs[0] in texts for t in topics
    )
    assert sum(t.n_docs for t in topics) <= len(texts)
    assert all(np.isclose(np.linalg.norm(t.centroid), 1.0, atol=1e-4) for t in topics)
    again = firm_topics(texts, vectors, TUNING, seed=7)
    assert [t.keywords for t in again] == [t.keywords for t in topics]


def test_a_tiny_firm_is_one_topic(firm_sentences: dict[str, list[str]]) -> None:
    texts = firm_sentences["AAOI"]
    assert len(texts) < TUNING.topic_min_sentences
    topics = firm_topics(texts, embed(texts), TUNING)
    assert len(topics) == 1 and topics[0].n_docs == len(texts)


def test_a_one_sentence_firm_is_one_topic() -> None:
    texts = ["Gross margin improved to 41 percent on a better product mix."]
    topics = firm_topics(texts, embed(texts), TUNING)
    assert len(topics) == 1 and "margin" in " ".join(topics[0].keywords)


@pytest.mark.integration
def test_topic_sizes_and_counts_follow_the_tuning(firm_sentences: dict[str, list[str]]) -> None:
    texts = firm_sentences["ABC"]
    vectors = embed(texts)
    tuning = TopicTuning(topic_keywords=4, topic_representative_sentences=2)
    topics = firm_topics(texts, vectors, tuning, seed=7)
    assert len(topics) >= 3
    assert all(len(t.keywords) <= 4 and len(t.representative_docs) == 2 for t in topics)
    whole = TopicTuning(topic_min_sentences=len(texts) + 1)
    [one] = firm_topics(texts, vectors, whole, seed=7)
    assert one.n_docs == len(texts)
