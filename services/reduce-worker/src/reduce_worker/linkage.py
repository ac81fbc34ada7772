"""Average-linkage (UPGMA) clustering of unit vectors on cosine distance, cut at a threshold.

Average linkage between two groups of unit vectors is their mean pairwise cosine similarity,
and that mean equals the dot product of the groups' *unnormalised* mean vectors. So linkage
needs only each group's mean and size, never the pairwise matrix of its members: it can
start from groups (k-means micro-clusters) as exactly as from single topics.

Average linkage never inverts (a merge is never closer than an earlier one), so stopping at
the first pair farther apart than the threshold is the same as cutting the full tree there.
Ties go to the lowest index: the same input in the same order gives the same groups.
"""

from __future__ import annotations

import numpy as np


def exact_groups(unit: np.ndarray, max_distance: float) -> np.ndarray:
    """Average linkage from single topics (an m x m matrix: 32 MB at m = 2000)."""
    sums, sizes = group_sums(unit, np.arange(len(unit)))
    return by_first_appearance(average_linkage(sums / sizes[:, None], sizes, max_distance))


def average_linkage(means: np.ndarray, sizes: np.ndarray, max_distance: float) -> np.ndarray:
    """Merge groups (mean vector of unit vectors, member count) while the closest pair's mean
    cosine distance is at most `max_distance`; return a label per input group."""
    m = len(sizes)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
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


def group_sums(unit: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per label: the sum of its unit vectors and its member count (labels 0..k-1)."""
    sizes = np.bincount(labels).astype(np.float64)
    sums = np.zeros((len(sizes), unit.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, unit)
    return sums, sizes


def by_first_appearance(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, ... in the order they first appear."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]


def _roots(merged_into: np.ndarray) -> np.ndarray:
    roots = merged_into.copy()
    while True:
        parents = roots[roots]
        if np.array_equal(parents, roots):
            return roots
        roots = parents
