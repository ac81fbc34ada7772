"""Topics of one firm's sentences: BERTopic on precomputed embeddings, tuned for small corpora.

A firm has ~20-600 sentences, far below what BERTopic's defaults expect: UMAP's neighbours and
dimensions must stay below the document count (its spectral start fails when k >= N, so small
firms start at random), the minimum cluster scales with the firm, and keywords come from a
vectorizer that drops English and earnings-call filler words and the source's `<UNK>` masks.
Everything is seeded, so the same input gives the same topics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from map_worker.config import TopicTuning

_FILLER = (
    "unk thank thanks yes okay ok good morning afternoon everyone just really think know "
    "going like lot kind sort bit little um uh question questions maybe look looking "
    "said say saying got get getting want way things thing able "
    # BERTopic strips punctuation before counting, so contractions arrive without apostrophes.
    "weve were im youre dont thats its theyre ive lets well youve didnt doesnt isnt"
)
FILLER_WORDS = frozenset(_FILLER.split())
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | FILLER_WORDS)
WORD_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b"


@dataclass(frozen=True)
class Topic:
    topic_id: int
    keywords: list[str]
    representative_docs: list[str]
    n_docs: int
    centroid: np.ndarray

    @property
    def representation(self) -> str:
        return "_".join(self.keywords[:4])


def _vectorizer(n_docs: int) -> CountVectorizer:
    return CountVectorizer(
        stop_words=STOP_WORDS,
        token_pattern=WORD_PATTERN,
        ngram_range=(1, 2),
        min_df=2 if n_docs >= 40 else 1,
        lowercase=True,
    )


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
    )


def _counted_keywords(texts: list[str], tuning: TopicTuning) -> list[str]:
    try:
        counts = _vectorizer(len(texts)).fit(texts)
        matrix = counts.transform(texts).sum(axis=0).A1
    except ValueError:  # every word was a stop word
        return []
    words = counts.get_feature_names_out()
    return [str(words[i]) for i in np.argsort(-matrix, kind="stable")[: tuning.topic_keywords]]


def single_topic(texts: list[str], vectors: np.ndarray, tuning: TopicTuning) -> list[Topic]:
    members = np.arange(len(texts))
    return [_topic(0, members, texts, vectors, _counted_keywords(texts, tuning), tuning)]


def firm_topics(
    texts: list[str], vectors: np.ndarray, tuning: TopicTuning, seed: int = 42
) -> list[Topic]:
    """Topics of one firm; a firm too small or too uniform to cluster is one topic."""
    n_docs = len(texts)
    if n_docs < tuning.topic_min_sentences:
        return single_topic(texts, vectors, tuning)
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
        vectorizer_model=_vectorizer(n_docs),
        top_n_words=tuning.topic_keywords,
        calculate_probabilities=False,
    )
    assignments = np.asarray(model.fit_transform(texts, vectors)[0])
    topic_ids = sorted(t for t in set(assignments.tolist()) if t != -1)
    if not topic_ids:
        return single_topic(texts, vectors, tuning)
    topics = []
    for new_id, topic_id in enumerate(topic_ids):
        words = [word for word, _score in (model.get_topic(topic_id) or []) if word]
        members = np.flatnonzero(assignments == topic_id)
        keywords = words[: tuning.topic_keywords]
        topics.append(_topic(new_id, members, texts, vectors, keywords, tuning))
    return topics
