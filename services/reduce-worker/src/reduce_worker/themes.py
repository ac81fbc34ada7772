"""Groups of topics into cross-firm themes, firm-specific topics and unassigned topics.

Every topic read ends in exactly one of three counts, so none is dropped silently:

- **unassigned**: its cosine similarity to its group's centroid (the normalised mean of the
  group's unit vectors) is below `min_similarity` — it fits no theme (an outlier that the
  linkage, or a k-means micro-cluster, pulled in);
- **firm-specific**: the rest of its group comes from fewer than `min_firms` firms (a single
  topic alone is the smallest such group). One firm talking about one thing in several
  topics is not a theme *across* firms, so no theme row is written for it;
- **in a theme**: everything else. A theme's contributions are its remaining members, with
  their similarity to the centroid (so every written similarity is >= `min_similarity`).

Themes are numbered by topics descending, then firms descending, then their first member in
(firm_id, topic_id) order: `theme_{quarter}_{NNN}` from 001; past 999 themes the number
simply grows (`_1000`), so an id never depends on how many themes the quarter has.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from reduce_worker.clustering import (
    Oversized,
    cluster_topics,
    split_oversized,
    without_common_direction,
)
from reduce_worker.config import ReduceWorkerSettings

# How a group above THEME_MAX_SHARE is split: the threshold tightens by SPLIT_STEP at a time,
# down to SPLIT_FLOOR, where topics are near duplicates and the group is one theme after all.
SPLIT_STEP = 0.1
SPLIT_FLOOR = 0.2


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
) -> Partition:
    """The quarter's topics (unit centroids) grouped and counted: without the common
    direction (`THEME_REMOVE_COMMON`), linked at `THEME_DISTANCE_THRESHOLD`, any group above
    `THEME_MAX_SHARE` of the topics split at stricter thresholds, then partitioned. Every
    similarity (the unassigned test, the contributions) is measured in that same space."""
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
) -> Partition:
    result = Partition()
    found: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]] = []
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
        if n_firms < min_firms:
            result.firm_specific += len(group)
            result.firm_specific_groups += 1
            continue
        central = np.lexsort((group, -similarity))
        found.append((group[central], similarity[central], n_firms, centroid))
    found.sort(key=lambda item: (-len(item[0]), -item[2], int(item[0].min())))
    for number, (members, similarity, n_firms, centroid) in enumerate(found, start=1):
        result.themes.append(
            Theme(
                theme_id=f"theme_{quarter}_{number:03d}",
                members=members,
                similarity=similarity,
                n_firms=n_firms,
                keywords=top_keywords([keywords[i] for i in members], n_keywords),
                centroid=centroid.astype(np.float32),
            )
        )
    return result


def contrasts(
    themes: Sequence[Theme],
    names: Sequence[str],
    summaries: Sequence[str],
    *,
    nearest: int = 2,
    per_theme: int = 2,
) -> dict[str, list[tuple[str, str]]]:
    """Per theme, (name, summary) of the `per_theme` most central topics of each of its
    `nearest` most similar other themes: what its name must set it apart from."""
    if len(themes) < 2:
        return {theme.theme_id: [] for theme in themes}
    centroids = np.stack([theme.centroid for theme in themes]).astype(np.float64)
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    shown = {}
    for row, theme in enumerate(themes):
        closest = np.argsort(-similarity[row], kind="stable")[:nearest]
        shown[theme.theme_id] = [
            (names[i], summaries[i]) for other in closest for i in themes[other].members[:per_theme]
        ]
    return shown


def top_keywords(keyword_lists: Sequence[Sequence[str]], n: int) -> list[str]:
    """The keywords most member topics share; ties go to the better average rank (map lists
    a topic's keywords best first), then alphabetical order."""
    topics: Counter[str] = Counter()
    rank_sum: Counter[str] = Counter()
    for keywords in keyword_lists:
        seen = set()
        for rank, keyword in enumerate(keywords):
            word = keyword.strip().lower()
            if word and word not in seen:
                seen.add(word)
                topics[word] += 1
                rank_sum[word] += rank
    ranked = sorted(topics, key=lambda w: (-topics[w], rank_sum[w] / topics[w], w))
    return ranked[:n]
