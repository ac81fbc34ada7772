from __future__ import annotations

import time
from unittest.mock import patch

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from sklearn.metrics import adjusted_rand_score

from reduce_worker.clustering import cluster_topics, threshold_components, unit_rows


def blobs(n_centres: int, per_centre: int, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_centres, 384))
    points = np.repeat(centres, per_centre, axis=0)
    points += rng.normal(scale=noise * np.sqrt(384), size=points.shape)
    return unit_rows(np.vstack([points, rng.normal(size=(10, 384))]))


@pytest.mark.unit
def test_labels_are_numbered_by_first_appearance_and_repeatable() -> None:
    unit = blobs(5, 10, 0.03)
    labels = cluster_topics(unit, 0.5, micro_clusters=1000, seed=0)
    first_seen = list(dict.fromkeys(labels.tolist()))
    assert first_seen == list(range(len(first_seen)))
    assert np.array_equal(labels, cluster_topics(unit, 0.5, micro_clusters=1000, seed=0))


@pytest.mark.unit
def test_the_threshold_decides_how_many_groups() -> None:
    unit = blobs(4, 10, 0.03)
    assert len(set(cluster_topics(unit, 0.5, 1000, 0)[:40])) == 4
    assert len(set(cluster_topics(unit, 1.9, 1000, 0))) == 1
    assert len(set(cluster_topics(unit, 1e-6, 1000, 0))) == len(unit)


@pytest.mark.unit
def test_micro_clusters_find_the_same_groups_deterministically() -> None:
    unit = blobs(8, 100, 0.04)
    exact = cluster_topics(unit, 0.5, micro_clusters=5000, seed=0)
    micro = cluster_topics(unit, 0.5, micro_clusters=200, seed=0)
    planted = len(unit) - 10
    assert adjusted_rand_score(exact[:planted], micro[:planted]) == 1.0
    assert np.array_equal(micro, cluster_topics(unit, 0.5, micro_clusters=200, seed=0))


@pytest.mark.unit
def test_rare_pairs_still_pair_up_when_k_means_lumps_them() -> None:
    # 150 subjects raised twice and 300 raised once, 100 micro-clusters: k-means must lump
    # unrelated topics together; reassigning and re-clustering the lonely ones undoes it.
    unit = blobs(150, 2, 0.03, seed=3)
    unit = np.vstack([unit, blobs(300, 1, 0.03, seed=4)])
    exact = cluster_topics(unit, 0.5, micro_clusters=len(unit), seed=0)
    micro = cluster_topics(unit, 0.5, micro_clusters=100, seed=0)
    assert len(set(exact)) == 150 + 300 + 20
    assert adjusted_rand_score(exact, micro) == 1.0


@pytest.mark.unit
def test_threshold_components_match_the_full_graph() -> None:
    unit = blobs(40, 3, 0.05, seed=5)
    full = unit @ unit.T >= 0.5
    expected = connected_components(full, directed=False)[1]
    with patch("reduce_worker.clustering.CHUNK", 7):
        chunked = threshold_components(unit, 0.5)
    assert adjusted_rand_score(expected, chunked) == 1.0
    assert len(set(chunked)) < len(unit)


@pytest.mark.integration
def test_fifty_thousand_topics_cluster_well_within_a_minute() -> None:
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(300, 384))
    planted = rng.integers(0, 300, 50_000)
    unit = unit_rows(centres[planted] + rng.normal(scale=0.7, size=(50_000, 384)))
    started = time.perf_counter()
    labels = cluster_topics(unit, 0.5, micro_clusters=2000, seed=42)
    seconds = time.perf_counter() - started
    assert seconds < 60, f"{seconds:.1f}s"
    assert adjusted_rand_score(planted, labels) > 0.99
