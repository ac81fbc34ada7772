from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from reduce_worker.clustering import unit_rows
from reduce_worker.linkage import average_linkage, by_first_appearance, exact_groups

pytestmark = pytest.mark.unit


def points(noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.repeat(rng.normal(size=(6, 384)), 20, axis=0)
    noisy = centres + rng.normal(scale=noise * np.sqrt(384), size=centres.shape)
    return unit_rows(np.vstack([noisy, rng.normal(size=(10, 384))]))


@pytest.mark.parametrize("noise", [0.03, 0.05, 0.07])
def test_exact_groups_are_scipys_average_linkage_cut_at_the_threshold(noise: float) -> None:
    unit = points(noise)
    reference = fcluster(
        linkage(unit.astype(np.float64), "average", metric="cosine"), 0.5, criterion="distance"
    )
    assert adjusted_rand_score(exact_groups(unit, 0.5), reference) == 1.0


def test_group_sizes_weigh_like_that_many_members() -> None:
    # A group of k identical topics is k members to average linkage: the weighted linkage on
    # the distinct topics must group them as exact linkage on all copies does.
    unit = points(0.05, seed=1)
    copies = np.random.default_rng(2).integers(1, 4, len(unit))
    expanded = np.repeat(unit, copies, axis=0)
    weighted = average_linkage(unit, copies.astype(np.float64), 0.5)
    assert adjusted_rand_score(np.repeat(weighted, copies), exact_groups(expanded, 0.5)) == 1.0
    unweighted = average_linkage(unit, np.ones(len(unit)), 0.5)
    assert adjusted_rand_score(weighted, unweighted) < 1.0


def test_empty_and_single_inputs() -> None:
    assert exact_groups(np.zeros((0, 3), np.float32), 0.5).tolist() == []
    assert exact_groups(np.eye(1, 3, dtype=np.float32), 0.5).tolist() == [0]
    assert by_first_appearance(np.array([7, 3, 7, 1])).tolist() == [0, 1, 0, 2]
