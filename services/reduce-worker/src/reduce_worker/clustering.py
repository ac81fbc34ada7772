"""Topics into groups at any scale: exact average linkage (`linkage.py`) where it fits in
memory, and a deterministic scheme around it where it does not.

Up to `micro_clusters` topics, linkage runs on the topics themselves. Above that:

1. seeded k-means groups the topics into `micro_clusters` micro-clusters, and linkage runs
   on those (weighted by size: still exact average linkage, except that it never splits a
   micro-cluster);
2. k-means must put every topic somewhere, so a rare topic lands with whatever is nearest.
   One pass (`reassign`) moves each topic to the group it is closest to on average (linkage's
   own criterion, itself left out), where that is within the threshold;
3. the topics close to no group on average ("lonely") are clustered among themselves. Linkage
   never merges across the components of the graph that links topics at most the threshold
   apart (a mean within it needs a pair within it), so each component is clustered alone:
   mostly single topics and pairs, exactly; a large one goes through 1-3 again.

Memory stays O(m^2 + n*d) and time about O(n*m*d) plus O(l^2*d) for the l lonely topics:
50,000 topics take seconds, not the 10 GB a full matrix would (`nox -s bench -- reduce`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import MiniBatchKMeans

from reduce_worker.linkage import average_linkage, by_first_appearance, exact_groups, group_sums

KMEANS_BATCH = 4096
# A theme that holds more topics than this is never split below it (a small quarter's 10%).
MIN_SPLIT_TOPICS = 5
KMEANS_PASSES = 10
CHUNK = 2048


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (cosine geometry); a zero row is the caller's to reject."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / norms, dtype=np.float32)


def without_common_direction(unit: np.ndarray) -> np.ndarray:
    """The topics as they differ from the quarter's average topic: the mean of the unit
    vectors subtracted, each row made unit again.

    Every earnings call shares one register (results, growth, the quarter, the outlook). In raw
    embeddings that shared direction makes most topics look alike, and average linkage chains
    them into one catch-all theme across nearly every firm; without it, topics group by what
    they are about. A topic equal to the average keeps its own direction.
    """
    residual = unit - unit.mean(axis=0, dtype=np.float64)
    norms = np.linalg.norm(residual, axis=1, keepdims=True)
    flat = norms[:, 0] < 1e-6
    residual[flat], norms[flat] = unit[flat], 1.0
    return np.asarray(residual / norms, dtype=np.float32)


@dataclass(frozen=True)
class Oversized:
    """A group left larger than the limit because it stays one group even at `floor`: its
    topics are that close, so the data say it is one theme."""

    topics: int
    limit: int


def split_oversized(
    unit: np.ndarray,
    labels: np.ndarray,
    *,
    max_share: float,
    max_distance: float,
    step: float,
    floor: float,
    micro_clusters: int,
    seed: int,
) -> tuple[np.ndarray, list[Oversized]]:
    """Groups holding more than `max_share` of the topics, clustered again at a stricter
    threshold (`max_distance - step`, `- 2 step`, ... down to `floor`) until each part fits;
    the new labels (by first appearance) and the groups that never split."""
    # At most `max_share` of the topics (10 of 94 is over 10%); the epsilon keeps 0.1 x 120 at 12.
    limit = max(MIN_SPLIT_TOPICS, math.floor(max_share * len(unit) + 1e-9))
    labels = labels.copy()
    kept: list[Oversized] = []
    queue = [(group, max_distance) for group in _members(labels) if len(group) > limit]
    while queue:
        members, distance = queue.pop()
        parts = None
        while parts is None and distance - step >= floor - 1e-9:
            distance -= step
            found = cluster_topics(unit[members], distance, micro_clusters, seed)
            if found.max() > 0:
                parts = found
        if parts is None:
            kept.append(Oversized(len(members), limit))
            continue
        base = labels.max() + 1
        labels[members] = base + parts
        queue += [(members[part], distance) for part in _members(parts) if len(part) > limit]
    return by_first_appearance(labels), kept


def _members(labels: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(labels[order])) + 1)


def cluster_topics(
    unit: np.ndarray, max_distance: float, micro_clusters: int, seed: int
) -> np.ndarray:
    """A group label per row of `unit` (unit vectors), numbered by first appearance."""
    if len(unit) <= micro_clusters:
        return exact_groups(unit, max_distance)
    micro = _kmeans(unit, micro_clusters, seed)
    sums, sizes = group_sums(unit, micro)
    groups = by_first_appearance(average_linkage(sums / sizes[:, None], sizes, max_distance))
    groups, lonely = reassign(unit, groups[micro], max_distance)
    if lonely.any():
        groups[lonely] = (
            groups.max()
            + 1
            + _lonely_groups(unit[lonely], max_distance, micro_clusters, seed, of=len(unit))
        )
    return by_first_appearance(groups)


def _kmeans(unit: np.ndarray, k: int, seed: int) -> np.ndarray:
    # Random (seeded) initial centres and few passes over the data: k-means++ over thousands
    # of centres costs more than the whole fit, and micro-clusters only need to be small.
    model = MiniBatchKMeans(
        n_clusters=k,
        init="random",
        n_init=1,
        batch_size=KMEANS_BATCH,
        random_state=seed,
        reassignment_ratio=0.0,
        max_iter=KMEANS_PASSES,
    )
    # An empty micro-cluster would have no mean; renumber the used ones densely.
    _, dense = np.unique(model.fit_predict(unit), return_inverse=True)
    return np.asarray(dense, dtype=np.int64)


def reassign(
    unit: np.ndarray, groups: np.ndarray, max_distance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Move each topic to the group whose members it is closest to on average (its own
    without itself), where that is within `max_distance`; return the new groups and which
    topics are within it of no group (they keep their group, for the caller to redo)."""
    sums, sizes = group_sums(unit, groups)
    means = (sums / sizes[:, None]).astype(np.float32)
    moved = groups.copy()
    lonely = np.zeros(len(unit), dtype=bool)
    for start in range(0, len(unit), CHUNK):
        chunk = slice(start, start + CHUNK)
        own = groups[chunk]
        rows = np.arange(len(own))
        similarity = (unit[chunk] @ means.T).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            # Its own group without itself: (x . sum - x . x) / (n - 1).
            others = (similarity[rows, own] * sizes[own] - 1.0) / (sizes[own] - 1)
        similarity[rows, own] = np.where(sizes[own] > 1, others, -np.inf)
        best = similarity.argmax(axis=1)
        fits = similarity[rows, best] >= 1.0 - max_distance
        moved[chunk] = np.where(fits, best, own)
        lonely[chunk] = ~fits
    return moved, lonely


def _lonely_groups(
    unit: np.ndarray, max_distance: float, micro_clusters: int, seed: int, of: int
) -> np.ndarray:
    """Groups of the lonely topics, one threshold-graph component at a time. A component as
    large as the input `of` they came from would recurse forever: it gets exact linkage
    (only an input with no group structure at all gets there)."""
    component = threshold_components(unit, max_distance)
    labels = np.empty(len(unit), dtype=np.int64)
    order = np.argsort(component, kind="stable")
    next_label = 0
    for members in np.split(order, np.flatnonzero(np.diff(component[order])) + 1):
        if len(members) == 1:
            found = np.zeros(1, dtype=np.int64)
        elif len(members) <= micro_clusters or len(members) == of:
            found = exact_groups(unit[members], max_distance)
        else:
            found = cluster_topics(unit[members], max_distance, micro_clusters, seed)
        labels[members] = next_label + found
        next_label += int(found.max()) + 1
    return labels


def threshold_components(unit: np.ndarray, max_distance: float) -> np.ndarray:
    """Connected components of the graph linking topics at most `max_distance` apart.

    Chunk by chunk, so that memory holds one chunk's edges and a forest of what is already
    connected (each topic linked to its component's first topic), never all edges at once.
    """
    n = len(unit)
    nodes = np.arange(n)
    labels = nodes
    for start in range(0, n, CHUNK):
        rows, cols = np.nonzero(unit[start : start + CHUNK] @ unit.T >= 1.0 - max_distance)
        first = np.full(int(labels.max()) + 1, n)
        np.minimum.at(first, labels, nodes)
        edges = (np.concatenate([rows + start, nodes]), np.concatenate([cols, first[labels]]))
        graph = coo_matrix((np.ones(len(edges[0]), dtype=bool), edges), shape=(n, n))
        labels = connected_components(graph, directed=False)[1]
    return np.asarray(labels, dtype=np.int64)
