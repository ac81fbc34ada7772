from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from reduce_worker.clustering import cluster_topics, unit_rows


def blobs(n_centres: int, per_centre: int, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_centres, 384))
    points = np.repeat(centres, per_centre, axis=0)
    points += rng.normal(scale=noise * np.sqrt(384), size=points.shape)
    return unit_rows(np.vstack([points, rng.normal(size=(10, 384))]))


@pytest.mark.unit
@pytest.mark.parametrize("noise", [0.03, 0.05, 0.07])
def test_small_inputs_are_exact_average_linkage(noise: float) -> None:
    unit = blobs(6, 20, noise)
    ours = cluster_topics(unit, 0.5, micro_clusters=1000, seed=0)
    reference = fcluster(
        linkage(unit.astype(np.float64), "average", metric="cosine"), 0.5, criterion="distance"
    )
    assert adjusted_rand_score(ours, reference) == 1.0


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
