"""Topics into groups: average-linkage clustering on cosine similarity, cut at a distance.

Average linkage (UPGMA) between two groups of unit vectors is the mean pairwise cosine
similarity, and that mean equals the dot product of the groups' *unnormalised* mean vectors.
So the linkage needs only each group's mean and size, never the pairwise matrix of topics:

- up to `micro_clusters` topics, every topic starts as its own group: exact average linkage
  (an m x m similarity matrix, 32 MB at m = 2000);
- above that, seeded k-means first groups the topics into `micro_clusters` small groups
  (tighter than any theme), and the same linkage, weighted by group size, runs on those. It is
  still exact average linkage between topic groups; the approximation is that linkage never
  splits a k-means micro-cluster, so one pass then moves each topic to the group it is
  closest to on average, where that is closer than its own (`reassign`). Memory stays
  O(m^2 + n*d), time O(n*m*d): 50,000 topics take seconds, not the 10 GB a full matrix would.

Average linkage never inverts (a merge is never closer than an earlier one), so stopping at
the first pair farther apart than the threshold is the same as cutting the full tree there.
Ties go to the lowest index, and callers sort their rows first: same input, same groups.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import MiniBatchKMeans

KMEANS_BATCH = 4096
REASSIGN_CHUNK = 4096


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (cosine geometry); a zero row is the caller's to reject."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / norms, dtype=np.float32)


def cluster_topics(
    unit: np.ndarray, max_distance: float, micro_clusters: int, seed: int
) -> np.ndarray:
    """A group label per row of `unit` (unit vectors), numbered by first appearance."""
    if len(unit) == 0:
        return np.zeros(0, dtype=np.int64)
    exact = len(unit) <= micro_clusters
    micro = np.arange(len(unit)) if exact else _kmeans(unit, micro_clusters, seed)
    sums, sizes = _group_sums(unit, micro)
    groups = _by_first_appearance(average_linkage(sums / sizes[:, None], sizes, max_distance))
    if exact:
        return groups
    return _by_first_appearance(reassign(unit, groups[micro], max_distance))


def _group_sums(unit: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(labels).astype(np.float64)
    sums = np.zeros((len(sizes), unit.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, unit)
    return sums, sizes


def _kmeans(unit: np.ndarray, k: int, seed: int) -> np.ndarray:
    # Random (seeded) initial centres: k-means++ over thousands of centres costs more than the
    # whole fit, and micro-clusters only need to be small, not optimal.
    model = MiniBatchKMeans(
        n_clusters=k,
        init="random",
        n_init=1,
        batch_size=KMEANS_BATCH,
        random_state=seed,
        reassignment_ratio=0.0,
    )
    labels = model.fit_predict(unit)
    # An empty micro-cluster would have no mean; renumber the used ones densely.
    _, dense = np.unique(labels, return_inverse=True)
    return np.asarray(dense, dtype=np.int64)


def average_linkage(means: np.ndarray, sizes: np.ndarray, max_distance: float) -> np.ndarray:
    """Merge groups (mean vector of unit vectors, member count) while the closest pair's mean
    cosine distance is at most `max_distance`; return a label per input group."""
    m = len(sizes)
    weight = sizes.astype(np.float64).copy()
    similarity = means.astype(np.float64) @ means.astype(np.float64).T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)
    nearest_similarity = similarity[np.arange(m), nearest]
    merged_into = np.arange(m)
    active = np.ones(m, dtype=bool)
    min_similarity = 1.0 - max_distance
    while m > 1:
        i = int(nearest_similarity.argmax())
        if nearest_similarity[i] < min_similarity:
            break
        keep, gone = sorted((i, int(nearest[i])))
        # Lance-Williams for average linkage: the merged group's similarity to any other is
        # the size-weighted mean of its parts' (exact, because similarity is linear in means).
        row = (weight[keep] * similarity[keep] + weight[gone] * similarity[gone]) / (
            weight[keep] + weight[gone]
        )
        similarity[keep, :] = row
        similarity[:, keep] = row
        similarity[gone, :] = -np.inf
        similarity[:, gone] = -np.inf
        weight[keep] += weight[gone]
        merged_into[gone] = keep
        active[gone] = False
        nearest_similarity[gone] = -np.inf
        # Only rows whose nearest was one of the pair can have changed: a merged group is
        # never closer to a third than the nearer of its parts was.
        stale = np.flatnonzero(active & ((nearest == keep) | (nearest == gone)))
        stale = np.union1d(stale, [keep])
        nearest[stale] = similarity[stale].argmax(axis=1)
        nearest_similarity[stale] = similarity[stale, nearest[stale]]
    return _roots(merged_into)


def reassign(unit: np.ndarray, groups: np.ndarray, max_distance: float) -> np.ndarray:
    """Move a topic to the group it is closest to on average (average linkage's criterion)
    when that is closer than the rest of its own group and within `max_distance`.

    k-means puts a few topics in a micro-cluster of another subject (an outlier grabs some
    neighbours, a micro-cluster straddles two themes) and linkage keeps micro-clusters whole;
    this one pass undoes that. A topic that fits nowhere stays, for `themes.partition` to
    count as unassigned.
    """
    sums, sizes = _group_sums(unit, groups)
    means = (sums / sizes[:, None]).astype(np.float32)
    moved = groups.copy()
    for start in range(0, len(unit), REASSIGN_CHUNK):
        chunk = slice(start, start + REASSIGN_CHUNK)
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
    return moved


def _roots(merged_into: np.ndarray) -> np.ndarray:
    roots = merged_into.copy()
    while True:
        parents = roots[roots]
        if np.array_equal(parents, roots):
            return roots
        roots = parents


def _by_first_appearance(labels: np.ndarray) -> np.ndarray:
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]
