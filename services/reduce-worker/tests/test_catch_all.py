"""A catch-all theme: topics that share one strong common direction (every call's generic
register) and differ only a little by subject. Raw average linkage chains them all into one
theme across every firm; reduce must not."""

from __future__ import annotations

import numpy as np
import pytest

from reduce_worker.clustering import split_oversized, unit_rows
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.themes import Partition, quarter_themes

pytestmark = pytest.mark.unit
THEMES, FIRMS = 10, 12


def generic_topics(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit centroids, firm ids and planted subjects: 4 parts common direction to 1 subject."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=384)
    subjects = rng.normal(size=(THEMES, 384))
    common, subjects = common / np.linalg.norm(common), unit_rows(subjects)
    planted = np.repeat(np.arange(THEMES), FIRMS)
    vectors = 4 * common + subjects[planted] + rng.normal(scale=0.02, size=(len(planted), 384))
    firms = np.array([f"F{f:03d}" for f in np.tile(np.arange(FIRMS), THEMES)])
    return unit_rows(vectors), firms, planted


def partition_with(settings: ReduceWorkerSettings, **changes: object) -> Partition:
    unit, firms, _ = generic_topics()
    changed = settings.model_copy(update=changes)
    return quarter_themes(unit, firms, [["customer demand"]] * len(unit), changed, "2017Q1")


def themes_with(settings: ReduceWorkerSettings, **changes: object) -> list[set[int]]:
    found = partition_with(settings, **changes)
    return [set(theme.members.tolist()) for theme in found.themes]


def test_raw_centroids_chain_into_one_catch_all_theme(settings: ReduceWorkerSettings) -> None:
    [catch_all] = themes_with(settings, theme_remove_common=False, theme_max_share=1.0)
    assert len(catch_all) == THEMES * FIRMS


def test_without_the_common_direction_each_subject_is_its_own_theme(
    settings: ReduceWorkerSettings,
) -> None:
    _, _, planted = generic_topics()
    found = themes_with(settings)
    assert sorted(found, key=min) == [set(np.flatnonzero(planted == t)) for t in range(THEMES)]
    assert max(len(theme) for theme in found) <= 0.10 * THEMES * FIRMS


def test_a_catch_all_the_size_limit_cannot_split_is_reported_not_hidden(
    settings: ReduceWorkerSettings,
) -> None:
    """On raw centroids the subjects sit closer than the split's floor: kept, and said so."""
    found = partition_with(settings, theme_remove_common=False)
    assert [theme.n_topics for theme in found.themes] == [THEMES * FIRMS]
    assert [(kept.topics, kept.limit) for kept in found.oversized] == [(120, 12)]


def test_a_group_of_near_duplicates_stays_whole_and_is_reported() -> None:
    rng = np.random.default_rng(1)
    same = unit_rows(np.ones((30, 8)) + rng.normal(scale=1e-4, size=(30, 8)))
    other = unit_rows(rng.normal(size=(30, 8)))
    unit = np.vstack([same, other])
    labels = np.zeros(60, dtype=np.int64)
    labels[30:] = np.arange(1, 31)
    split, kept = split_oversized(
        unit, labels, max_share=0.1, max_distance=0.7, step=0.1, floor=0.2,
        micro_clusters=2000, seed=0,
    )  # fmt: skip
    assert len(set(split[:30].tolist())) == 1 and len(kept) == 1
    assert (kept[0].topics, kept[0].limit) == (30, 6)


def test_ten_topics_of_ninety_four_are_over_ten_percent() -> None:
    rng = np.random.default_rng(2)
    same = unit_rows(np.ones((10, 8)) + rng.normal(scale=1e-4, size=(10, 8)))
    unit = np.vstack([same, unit_rows(rng.normal(size=(84, 8)))])
    labels = np.concatenate([np.zeros(10, dtype=np.int64), np.arange(1, 85)])
    _, kept = split_oversized(
        unit, labels, max_share=0.1, max_distance=0.7, step=0.1, floor=0.2,
        micro_clusters=2000, seed=0,
    )  # fmt: skip
    assert [(group.topics, group.limit) for group in kept] == [(10, 9)]
