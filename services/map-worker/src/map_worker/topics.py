"""Topics of one firm's sentences: BERTopic on precomputed embeddings, tuned for small corpora.

A firm has ~20-600 sentences, far below what BERTopic's defaults expect: UMAP's neighbours and
dimensions must stay below the document count (its spectral start fails when k >= N, so small
firms start at random) and the minimum cluster scales with the firm. Call procedure is set
aside first (`procedure.py`) and becomes the firm's topic -1, BERTopic's number for "not a
topic"; keywords are chosen against the whole quarter (`keywords.py`), not BERTopic's
firm-local c-TF-IDF. Everything is seeded, so the same input gives the same topics.

Each topic keeps its members (which sentences it holds), so every sentence's topic can be
written (`sentence_topic_ids`); a content sentence BERTopic's clustering left out of every topic
(its outliers, BERTopic's own -1) gets `OUTLIER_TOPIC_ID` (-2) there, in no topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from ftm_shared.schemas import OUTLIER_TOPIC_ID
from ftm_shared.text import WORD_PATTERN, normalise
from map_worker.config import TopicTuning
from map_worker.keywords import QuarterWords, topic_keywords
from map_worker.procedure import Procedure, find_procedure

PROCEDURE_TOPIC_ID = -1


@dataclass(frozen=True)
class Topic:
    topic_id: int
    keywords: list[str]
    representative_docs: list[str]
    n_docs: int
    centroid: np.ndarray
    members: tuple[int, ...] = ()
    """Indices of its sentences in the texts the topics were found in."""

    @property
    def representation(self) -> str:
        return "_".join(self.keywords[:4])


def _topic(
    topic_id: int,
    members: np.ndarray,
    texts: list[str],
    vectors: np.ndarray,
    keywords: list[str],
    tuning: TopicTuning,
) -> Topic:
    centroid = vectors[members].mean(axis=0)
    centroid = centroid / (np.linalg.norm(centroid) or 1.0)
    nearest_first = members[np.argsort(-(vectors[members] @ centroid))]
    closest = nearest_first[: tuning.topic_representative_sentences]
    return Topic(
        topic_id=topic_id,
        keywords=keywords,
        representative_docs=[texts[i] for i in closest],
        n_docs=len(members),
        centroid=centroid.astype(np.float32),
        members=tuple(int(i) for i in members),
    )


def _keywords(
    groups: list[np.ndarray], texts: list[str], tuning: TopicTuning, quarter: QuarterWords | None
) -> list[list[str]]:
    """Each group's keywords; without the quarter's counts, the firm's own sentences are the
    reference (a firm mapped alone, a test)."""
    return topic_keywords(
        [[texts[i] for i in members] for members in groups],
        quarter or QuarterWords.count(texts),
        n=tuning.topic_keywords,
        support=tuning.keyword_min_sentences,
        weight=tuning.keyword_distinctiveness,
    )


def _topics(
    groups: list[np.ndarray],
    texts: list[str],
    vectors: np.ndarray,
    tuning: TopicTuning,
    quarter: QuarterWords | None,
) -> list[Topic]:
    keywords = _keywords(groups, texts, tuning, quarter)
    return [
        _topic(topic_id, members, texts, vectors, words, tuning)
        for topic_id, (members, words) in enumerate(zip(groups, keywords, strict=True))
    ]


def firm_topics(
    texts: list[str],
    vectors: np.ndarray,
    tuning: TopicTuning,
    seed: int = 42,
    quarter: QuarterWords | None = None,
) -> list[Topic]:
    """Topics of one firm's content sentences; a firm too small or too uniform to cluster is
    one topic."""
    n_docs = len(texts)
    if n_docs < tuning.topic_min_sentences:
        return _topics([np.arange(n_docs)], texts, vectors, tuning, quarter)
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=min(15, n_docs - 1),
        n_components=min(5, n_docs - 2),
        min_dist=0.0,
        metric="cosine",
        init="spectral" if n_docs >= 60 else "random",
        random_state=seed,
        n_jobs=1,  # random_state forces one thread anyway; saying so avoids a warning
    )
    hdbscan_model = HDBSCAN(
        min_cluster_size=max(tuning.topic_min_size, n_docs // tuning.topic_size_divisor),
        min_samples=2,
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=False,
    )
    model = BERTopic(
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        # BERTopic's own c-TF-IDF words are not used (see the module doc): the plainest
        # vectorizer that cannot come out empty.
        vectorizer_model=CountVectorizer(preprocessor=normalise, token_pattern=WORD_PATTERN),
        top_n_words=1,
        calculate_probabilities=False,
    )
    assignments = np.asarray(model.fit_transform(texts, vectors)[0])
    topic_ids = sorted(t for t in set(assignments.tolist()) if t != -1)
    if not topic_ids:
        return _topics([np.arange(n_docs)], texts, vectors, tuning, quarter)
    groups = [np.flatnonzero(assignments == topic_id) for topic_id in topic_ids]
    return _topics(groups, texts, vectors, tuning, quarter)


def procedure_topic(texts: Sequence[str], vectors: np.ndarray, procedure: Procedure) -> Topic:
    """The firm's call procedure as topic -1: every sentence set aside, in call order, and its
    kinds, most frequent first, as the keywords."""
    members = np.flatnonzero(procedure.mask)
    centroid = vectors[members].mean(axis=0)
    centroid = centroid / (np.linalg.norm(centroid) or 1.0)
    return Topic(
        topic_id=PROCEDURE_TOPIC_ID,
        keywords=[kind for kind, _ in procedure.by_reason().most_common()],
        representative_docs=[texts[int(i)] for i in members],
        n_docs=len(members),
        centroid=centroid.astype(np.float32),
        members=tuple(int(i) for i in members),
    )


def sentence_topic_ids(topics: Sequence[Topic], n_texts: int) -> list[int]:
    """Each of the `n_texts` sentences' topic id; `OUTLIER_TOPIC_ID` where no topic holds it."""
    ids = [OUTLIER_TOPIC_ID] * n_texts
    for topic in topics:
        for i in topic.members:
            ids[i] = topic.topic_id
    return ids


def call_topics(
    texts: list[str],
    speakers: Sequence[str | None],
    vectors: np.ndarray,
    tuning: TopicTuning,
    *,
    prototypes: np.ndarray,
    quarter: QuarterWords | None = None,
    seed: int = 42,
) -> list[Topic]:
    """The firm's topics, then its call procedure as topic -1 when it has any.

    `speakers` may be empty (the source names none); `prototypes` are the unit embeddings of
    `procedure.PROTOTYPES`.
    """
    roles = list(speakers) or [None] * len(texts)
    procedure = find_procedure(texts, roles, vectors, prototypes, tuning.procedure_similarity)
    content = np.flatnonzero(~procedure.mask)
    topics = []
    if len(content):
        kept = [texts[i] for i in content]
        topics = [
            replace(topic, members=tuple(int(content[i]) for i in topic.members))
            for topic in firm_topics(kept, vectors[content], tuning, seed, quarter)
        ]
    if procedure.count:
        topics.append(procedure_topic(texts, vectors, procedure))
    return topics
