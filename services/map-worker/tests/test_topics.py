from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ftm_shared.embedding import embed
from ftm_shared.text import split_sentences
from map_worker.config import TopicTuning
from map_worker.documents import clean
from map_worker.keywords import STOP_WORDS
from map_worker.procedure import PROTOTYPES
from map_worker.topics import PROCEDURE_TOPIC_ID, call_topics, firm_topics, sentence_topic_ids

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
    assert all(t.keywords and not set(t.keywords) & STOP_WORDS for t in topics)
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
    said = set(texts[0].lower().replace(".", "").split())
    assert len(topics) == 1 and {w for k in topics[0].keywords for w in k.split()} <= said


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


# In the full set and in the bundled sample alike (the sample holds 4 of the 44 calls), with a
# safe-harbour statement and an Operator hand-off.
PROCEDURE_CALL_FIRM = "spire_inc"


def test_call_procedure_is_set_aside_as_topic_minus_one_and_kept_whole(data_dir: Path) -> None:
    """An Earnings-21 call: the Operator by role, disclaimers and thanks by wording or meaning."""
    frame = pd.read_parquet(data_dir / "earnings_calls" / "earnings21_turns.parquet")
    call = frame[frame.firm_id == PROCEDURE_CALL_FIRM].sort_values("para_idx")
    texts, speakers = [], []
    for text, speaker in zip(call.text, call.speaker, strict=True):
        for sentence in split_sentences(text):
            if len(sentence.split()) >= TUNING.min_sentence_words:
                texts.append(clean(sentence))
                speakers.append(speaker)
    prototypes = embed(list(PROTOTYPES))
    topics = call_topics(texts, speakers, embed(texts), TUNING, prototypes=prototypes, seed=7)
    procedure = topics[-1]
    assert procedure.topic_id == PROCEDURE_TOPIC_ID
    assert all(t.topic_id >= 0 for t in topics[:-1]) and len(topics) >= 3
    said = " ".join(procedure.representative_docs).lower()
    assert "forward looking" in said and "turn the conference over" in said
    assert procedure.n_docs == len(procedure.representative_docs) >= 10
    content = " ".join(doc for t in topics[:-1] for doc in t.representative_docs).lower()
    assert "forward looking" not in content and "listen-only" not in content
    assert set(procedure.keywords) >= {"Q&A hand-off", "safe harbour", "webcast or replay"}
    # Every sentence's topic, as map writes it: members index the texts the call gave.
    ids = sentence_topic_ids(topics, len(texts))
    assert all(ids.count(t.topic_id) == t.n_docs for t in topics)
    assert [texts[i] for i in procedure.members] == procedure.representative_docs
    assert all(t.representative_docs[0] in [texts[i] for i in t.members] for t in topics)
