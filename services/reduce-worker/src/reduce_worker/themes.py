"""Groups of topics into cross-firm themes, firm-specific topics and unassigned topics.

Every topic read ends in exactly one of three counts, so none is dropped silently:

- **unassigned**: its cosine similarity to its group's centroid (the normalised mean of the
  group's unit vectors) is below `min_similarity` — it fits no theme (an outlier that the
  linkage, or a k-means micro-cluster, pulled in);
- **firm-specific**: the rest of its group comes from fewer than `min_firms` firms (a single
  topic alone is the smallest such group), or its firms share fewer than
  `MIN_SHARED_WORDS` subject words: each uses its own words (its names, products, places),
  and only the embedding put them together; or one broad word ("growth", "products") is all
  they have in common, which names no subject a reader could use.
  One firm talking about one thing in several topics is not a theme *across* firms, so no
  theme row is written for it;
- **filler**: its group's words or sentences are hedging and turn-taking, not a subject
  (`filler.py`); no theme row is written for it either;
- **in a theme**: everything else. A theme's contributions are its remaining members, with
  their similarity to the centroid (so every written similarity is >= `min_similarity`).

A theme's keywords are what its firms share (`shared_keywords`): ranked by how many of its
firms' topics use them, weighted by the quarter's IDF over topics; a word one member firm
says only (its name, products, places) is never a theme keyword.

Themes are numbered by topics descending, then firms descending, then their first member in
(firm_id, topic_id) order: `theme_{quarter}_{NNN}` from 001; past 999 themes the number
simply grows (`_1000`), so an id never depends on how many themes the quarter has.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from ftm_shared.text import singular, words
from reduce_worker.clustering import (
    Oversized,
    cluster_topics,
    split_oversized,
    without_common_direction,
)
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.filler import NOT_SUBJECT_WORDS, filler_reason

# How a group above THEME_MAX_SHARE is split: the threshold tightens by SPLIT_STEP at a time,
# down to SPLIT_FLOOR, where topics are near duplicates and the group is one theme after all.
SPLIT_STEP = 0.1
SPLIT_FLOOR = 0.2
MIN_SHARED_WORDS = 2


@dataclass(frozen=True)
class Theme:
    theme_id: str
    members: np.ndarray  # row indices, most central first
    similarity: np.ndarray  # of each member to the centroid, same order
    n_firms: int
    keywords: list[str]
    centroid: np.ndarray  # unit vector, in the space the themes were found in

    @property
    def n_topics(self) -> int:
        return len(self.members)


@dataclass
class Partition:
    themes: list[Theme] = field(default_factory=list)
    firm_specific: int = 0
    firm_specific_groups: int = 0
    filler: int = 0
    """Topics of groups that were filler, not a subject (`filler.py`)."""
    filler_groups: int = 0
    unassigned: int = 0
    oversized: list[Oversized] = field(default_factory=list)

    @property
    def in_themes(self) -> int:
        return sum(theme.n_topics for theme in self.themes)


def quarter_themes(
    unit: np.ndarray,
    firm_ids: np.ndarray,
    keywords: Sequence[Sequence[str]],
    settings: ReduceWorkerSettings,
    quarter: str,
    docs: Sequence[Sequence[str]] = (),
) -> Partition:
    """The quarter's topics (unit centroids) grouped and counted: without the common
    direction (`THEME_REMOVE_COMMON`), linked at `THEME_DISTANCE_THRESHOLD`, any group above
    `THEME_MAX_SHARE` of the topics split at stricter thresholds, then partitioned. Every
    similarity (the unassigned test, the contributions) is measured in that same space.
    `docs`: each topic's representative sentences, for the filler test (none: keywords only)."""
    space = without_common_direction(unit) if settings.theme_remove_common else unit
    labels = cluster_topics(
        space, settings.theme_distance_threshold, settings.theme_micro_clusters, settings.theme_seed
    )
    labels, oversized = split_oversized(
        space,
        labels,
        max_share=settings.theme_max_share,
        max_distance=settings.theme_distance_threshold,
        step=SPLIT_STEP,
        floor=SPLIT_FLOOR,
        micro_clusters=settings.theme_micro_clusters,
        seed=settings.theme_seed,
    )
    found = partition(
        space,
        labels,
        firm_ids,
        keywords,
        quarter=quarter,
        docs=docs,
        min_similarity=settings.theme_min_similarity,
        min_firms=settings.min_theme_firms,
        n_keywords=settings.theme_keywords,
    )
    found.oversized = oversized
    return found


def partition(
    unit: np.ndarray,
    labels: np.ndarray,
    firm_ids: np.ndarray,
    keywords: Sequence[Sequence[str]],
    *,
    quarter: str,
    min_similarity: float,
    min_firms: int,
    n_keywords: int,
    docs: Sequence[Sequence[str]] = (),
) -> Partition:
    result = Partition()
    found: list[tuple[np.ndarray, np.ndarray, int, np.ndarray, list[str]]] = []
    terms = [
        TopicTerms.of(topic_keywords, docs[i] if len(docs) else ())
        for i, topic_keywords in enumerate(keywords)
    ]
    idf = keyword_idf(terms)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    for group in np.split(order, bounds):
        centroid = unit[group].sum(axis=0, dtype=np.float64)
        centroid /= np.linalg.norm(centroid)
        similarity = unit[group] @ centroid
        fits = similarity >= min_similarity
        result.unassigned += int((~fits).sum())
        group, similarity = group[fits], similarity[fits]
        if len(group) == 0:
            continue
        n_firms = len(np.unique(firm_ids[group]))
        central = np.lexsort((group, -similarity))
        group, similarity = group[central], similarity[central]
        shared = shared_keywords(
            [terms[i] for i in group], [str(firm_ids[i]) for i in group], idf, n_keywords
        )
        if n_firms < min_firms or len(subject_words(shared)) < MIN_SHARED_WORDS:
            result.firm_specific += len(group)
            result.firm_specific_groups += 1
            continue
        sentences = [doc for i in group for doc in docs[i]] if len(docs) else []
        if filler_reason(shared, sentences):
            result.filler += len(group)
            result.filler_groups += 1
            continue
        found.append((group, similarity, n_firms, centroid, shared))
    found.sort(key=lambda item: (-len(item[0]), -item[2], int(item[0].min())))
    for number, (members, similarity, n_firms, centroid, shared) in enumerate(found, start=1):
        result.themes.append(
            Theme(
                theme_id=f"theme_{quarter}_{number:03d}",
                members=members,
                similarity=similarity,
                n_firms=n_firms,
                keywords=shared,
                centroid=centroid.astype(np.float32),
            )
        )
    return result


def _one_form(term: str) -> str:
    return " ".join(singular(word) for word in term.split())


def subject_words(keywords: Sequence[str]) -> set[str]:
    """The distinct words of `keywords` that say something (not function, filler or call
    words), a plural the same word: "cash flow" holds two, "growth" one, "store, stores" one."""
    said = {word for keyword in keywords for word in words(keyword)} - NOT_SUBJECT_WORDS
    return {singular(word) for word in said}


def theme_centroids(
    members: Sequence[Sequence[int] | np.ndarray], unit: np.ndarray, n_docs: np.ndarray
) -> np.ndarray:
    """Each theme's centroid (`members`: its topics' rows) in the space its sentences were
    embedded in: the unit mean of its topics' centroids (`unit`), weighted by their sentences
    (`n_docs`), so that it stands for the theme's sentences when a name is compared with it."""
    centroids = np.zeros((len(members), unit.shape[1]), dtype=np.float64)
    weights = np.asarray(n_docs, dtype=np.float64)
    for row, rows in enumerate(members):
        index = np.asarray(rows, dtype=np.int64)
        mean = (unit[index] * weights[index][:, None]).sum(axis=0)
        centroids[row] = mean / (np.linalg.norm(mean) or 1.0)
    return centroids


def contrasts(
    themes: Sequence[Theme],
    topics: Sequence[tuple[str, str]],
    *,
    nearest: int = 2,
    per_theme: int = 2,
) -> dict[str, list[tuple[str, str]]]:
    """Per theme, the `topics` entries (name, summary as shown) of the `per_theme` most central
    topics of each of its `nearest` most similar other themes: what its name must set it apart
    from."""
    if len(themes) < 2:
        return {theme.theme_id: [] for theme in themes}
    centroids = np.stack([theme.centroid for theme in themes]).astype(np.float64)
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    shown = {}
    for row, theme in enumerate(themes):
        closest = np.argsort(-similarity[row], kind="stable")[:nearest]
        shown[theme.theme_id] = [
            topics[i] for other in closest for i in themes[other].members[:per_theme]
        ]
    return shown


@dataclass(frozen=True)
class TopicTerms:
    """A topic's candidate theme keywords, best first: its keyword phrases, each followed by
    its words (function words and filler left out); and every term it uses, in its keywords or
    its representative sentences (words and two-word phrases), so that a firm that says
    "cloud" or "real estate" without it leading its keywords still counts as using it."""

    candidates: tuple[str, ...]
    used: frozenset[str]

    @classmethod
    def of(cls, keywords: Sequence[str], docs: Sequence[str] = ()) -> TopicTerms:
        candidates: list[str] = []
        for keyword in keywords:
            said = words(keyword)
            subjects = [w for w in said if w not in NOT_SUBJECT_WORDS]
            # A phrase of non-subject words only ("next year", "the company") says nothing.
            phrase = " ".join(said) if subjects else ""
            candidates += [term for term in [phrase, *subjects] if term and term not in candidates]
        used = set(candidates)
        for doc in docs:
            said = words(doc)
            used |= {w for w in said if w not in NOT_SUBJECT_WORDS}
            used |= {f"{a} {b}" for a, b in pairwise(said)}
        return cls(tuple(candidates), frozenset(used))


def keyword_idf(terms: Sequence[TopicTerms]) -> dict[str, float]:
    """Smoothed IDF of each term over the quarter's topics (`log((N+1)/(df+1)) + 1`, a topic
    counting when it uses the term): a term most topics use ("growth") weighs little."""
    frequency: Counter[str] = Counter()
    for topic in terms:
        frequency.update(topic.used)
    n = len(terms)
    return {term: math.log((n + 1) / (df + 1)) + 1.0 for term, df in frequency.items()}


def shared_keywords(
    terms: Sequence[TopicTerms], firm_ids: Sequence[str], idf: dict[str, float], n: int
) -> list[str]:
    """A theme's `n` keywords from its member topics' candidates (`terms`, with each topic's
    firm): those most of its firms use, weighted by `idf`; ties go to the better average rank
    among the topics that list it, then alphabetical order. A term inside a chosen phrase
    ("cash" beside "cash flow") comes only when it has more firms than it; a phrase as many
    firms use as a chosen term inside it takes that term's place ("real estate" for "estate",
    so that "real" does not follow on its own). A term only one
    firm uses (its name, products, places) is never chosen, nor a plural beside its singular:
    firms that share no term get no keywords (and `partition` writes no theme for them)."""
    firms: defaultdict[str, set[str]] = defaultdict(set)
    rank_sum: Counter[str] = Counter()
    listed: Counter[str] = Counter()
    for topic in terms:
        for rank, term in enumerate(topic.candidates):
            rank_sum[term] += rank
            listed[term] += 1
    candidates = set(listed)
    for topic, firm in zip(terms, firm_ids, strict=True):
        for term in candidates & topic.used:
            firms[term].add(firm)
    n_firms = len(set(firm_ids))

    def order(term: str) -> tuple[float, float, str]:
        share = len(firms[term]) / n_firms
        return (-share * idf.get(term, 1.0), rank_sum[term] / listed[term], term)

    chosen: list[str] = []
    for term in sorted(candidates, key=order):
        if _one_form(term) in {_one_form(c) for c in chosen}:  # "stores" beside "store"
            continue
        if len(firms[term]) <= 1 and n_firms > 1:
            continue
        widened = [c for c in chosen if f" {c} " in f" {term} "]
        if widened and all(len(firms[term]) >= len(firms[c]) for c in widened):
            chosen[chosen.index(widened[0])] = term
            chosen = [c for c in chosen if c not in widened[1:]]
            continue
        inside = [c for c in chosen if f" {term} " in f" {c} " or f" {c} " in f" {term} "]
        if any(len(firms[term]) <= len(firms[c]) for c in inside):
            continue
        chosen.append(term)
    return chosen[:n]
