from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from map_worker.documents import MIN_WORDS, clean
from map_worker.embed import embed
from map_worker.topics import STOP_WORDS, firm_topics

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def firm_sentences(data_dir: Path) -> dict[str, list[str]]:
    frame = pd.read_parquet(data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet")
    frame = frame[frame.quarter == "2017Q1"]
    texts = {}
    for firm in ("ABC", "AAOI"):
        cleaned = [clean(t) for t in frame[frame.firm_id == firm].text]
        texts[firm] = [t for t in cleaned if len(t.split()) >= MIN_WORDS]
    return texts


def test_a_real_firm_gets_several_seeded_topics_without_stop_word_keywords(
    firm_sentences: dict[str, list[str]],
) -> None:
    texts = firm_sentences["ABC"]
    vectors = embed(texts)
    topics = firm_topics(texts, vectors, seed=7)
    assert len(topics) >= 3
    assert [t.topic_id for t in topics] == list(range(len(topics)))
    assert all(t.keywords and not set(t.keywords) & set(STOP_WORDS) for t in topics)
    assert not any("unk" in k.lower() for t in topics for k in t.keywords)
    assert all(
        len(t.representative_docs) == 3 and t.representative_docs[0] in texts for t in topics
    )
    assert sum(t.n_docs for t in topics) <= len(texts)
    assert all(np.isclose(np.linalg.norm(t.centroid), 1.0, atol=1e-4) for t in topics)
    again = firm_topics(texts, vectors, seed=7)
    assert [t.keywords for t in again] == [t.keywords for t in topics]


def test_a_tiny_firm_is_one_topic(firm_sentences: dict[str, list[str]]) -> None:
    texts = firm_sentences["AAOI"]
    assert len(texts) < 15
    topics = firm_topics(texts, embed(texts))
    assert len(topics) == 1 and topics[0].n_docs == len(texts)


def test_a_one_sentence_firm_is_one_topic() -> None:
    texts = ["Gross margin improved to 41 percent on a better product mix."]
    topics = firm_topics(texts, embed(texts))
    assert len(topics) == 1 and "margin" in " ".join(topics[0].keywords)
