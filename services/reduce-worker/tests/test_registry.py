"""The theme registry: stable ids across quarters, assigned by closeness and name fit.

Subjects live in a toy space: every call shares the register direction e0, and subject k is
e0 + e_k; a name "subject k" embeds to subject k's direction, so it fits subject k's theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ftm_shared.storage import ObjectStore, PreconditionFailedError
from reduce_worker.registry import (
    CONTINUED,
    DRIFTED,
    NEW,
    SEEDED,
    QuarterThemes,
    Registry,
    Rules,
    decisions,
    persistence,
    register_quarter,
)
from reduce_worker.registry_store import load, save, tables

pytestmark = pytest.mark.unit

DIM = 12
RULES = Rules(min_similarity=0.75, name_fit_rank=1)


def direction(*weights: tuple[int, float]) -> np.ndarray:
    vector = np.zeros(DIM)
    vector[0] = 1.0
    for axis, weight in weights:
        vector[axis] += weight
    return vector / np.linalg.norm(vector)


def embed(names: Sequence[str]) -> np.ndarray:
    """'subject 3' points at subject 3; 'subject 3+4' between 3 and 4."""
    rows = []
    for name in names:
        axes = [int(a) for a in name.removeprefix("subject ").split("+")]
        rows.append(direction(*[(a, 1.0) for a in axes]))
    return np.stack(rows)


def quarter(name: str, subjects: dict[str, np.ndarray], run_id: str = "r1") -> QuarterThemes:
    """A quarter's themes: id -> centroid, named after their id's subject."""
    ids = list(subjects)
    return QuarterThemes(
        quarter=name,
        run_id=run_id,
        theme_ids=[f"theme_{name}_{i}" for i in ids],
        names=[f"subject {i}" for i in ids],
        descriptions=[f"what subject {i} is" for i in ids],
        keywords=[[f"word{i}"] for i in ids],
        centroids=np.stack(list(subjects.values())),
        register=direction(),
    )


def ids_of(registry: Registry, name: str) -> dict[str, str]:
    return {a.theme_id: a.stable_theme_id for a in registry.assignments if a.quarter == name}


def seeded() -> Registry:
    first = quarter(
        "2016Q1", {"1": direction((1, 1)), "2": direction((2, 1)), "3": direction((3, 1))}
    )
    return register_quarter(Registry(), first, embed, RULES)


def test_the_first_quarter_seeds_the_registry() -> None:
    registry = seeded()
    assert [t.stable_theme_id for t in registry.themes] == [
        "stable_0001",
        "stable_0002",
        "stable_0003",
    ]
    assert decisions(registry, "2016Q1") == {SEEDED: 3, CONTINUED: 0, DRIFTED: 0, NEW: 0}
    assert registry.themes[1].name == "subject 2" and registry.themes[1].created_quarter == "2016Q1"


def test_the_same_subjects_next_quarter_keep_their_ids() -> None:
    # Slightly moved, in another order, under other per-quarter ids.
    second = quarter(
        "2016Q2",
        {
            "3": direction((3, 1), (5, 0.1)),
            "1": direction((1, 1), (6, 0.1)),
            "2": direction((2, 1)),
        },
    )
    registry = register_quarter(seeded(), second, embed, RULES)
    assert ids_of(registry, "2016Q2") == {
        "theme_2016Q2_1": "stable_0001",
        "theme_2016Q2_2": "stable_0002",
        "theme_2016Q2_3": "stable_0003",
    }
    assert decisions(registry, "2016Q2")[CONTINUED] == 3
    assert persistence(registry) == {2: 3}


def test_a_far_theme_is_new_and_records_its_nearest_stable_theme() -> None:
    second = quarter("2016Q2", {"1": direction((1, 1)), "7": direction((7, 1))})
    registry = register_quarter(seeded(), second, embed, RULES)
    [new] = [a for a in registry.assignments if a.decision == NEW]
    assert new.theme_id == "theme_2016Q2_7" and new.stable_theme_id == "stable_0004"
    assert new.similarity is not None and new.similarity < RULES.min_similarity
    assert registry.quarters_of("stable_0002") == ["2016Q1"], "not seen this quarter"


def test_a_close_theme_the_old_name_no_longer_fits_is_split_off_not_kept() -> None:
    """The quarter's theme 2 sits near subject 2's anchor, but its content moved towards 4, and
    the name "subject 2" (which also says something of 10) now picks the quarter's theme 10."""

    def embed_names(names: Sequence[str]) -> np.ndarray:
        return np.stack(
            [direction((2, 1), (10, 1)) if n == "subject 2" else embed([n])[0] for n in names]
        )

    second = quarter("2016Q2", {"2": direction((2, 1), (4, 0.6)), "10": direction((10, 1))})
    registry = register_quarter(seeded(), second, embed_names, RULES)
    made = {a.theme_id: a for a in registry.assignments if a.quarter == "2016Q2"}
    drifted = made["theme_2016Q2_2"]
    assert drifted.decision == DRIFTED and drifted.nearest_stable_theme_id == "stable_0002"
    assert drifted.similarity is not None and drifted.similarity >= RULES.min_similarity
    assert drifted.name_fit_rank == 2
    stable = {t.stable_theme_id: t for t in registry.themes}
    assert stable[drifted.stable_theme_id].split_from == "stable_0002"
    assert stable[drifted.stable_theme_id].name == "subject 2", "named by this quarter's theme"
    assert made["theme_2016Q2_10"].decision == NEW, "far from every anchor, whatever its name"
    assert registry.quarters_of("stable_0002") == ["2016Q1"]


def test_one_stable_theme_takes_one_theme_a_quarter_the_closest() -> None:
    second = quarter("2016Q2", {"1": direction((1, 1)), "1b": direction((1, 1), (6, 0.3))})
    second = QuarterThemes(**{**vars(second), "names": ["subject 1", "subject 1+6"]})
    rules = Rules(min_similarity=0.75, name_fit_rank=2)
    registry = register_quarter(seeded(), second, embed, rules)
    made = {a.theme_id: a for a in registry.assignments if a.quarter == "2016Q2"}
    assert made["theme_2016Q2_1"].stable_theme_id == "stable_0001"
    assert made["theme_2016Q2_1b"].decision == NEW
    assert made["theme_2016Q2_1b"].nearest_stable_theme_id == "stable_0001"


def test_registering_a_quarter_again_changes_no_other_quarters_ids() -> None:
    second = quarter("2016Q2", {"1": direction((1, 1)), "7": direction((7, 1))})
    third = quarter("2016Q3", {"7": direction((7, 1)), "2": direction((2, 1))})
    registry = register_quarter(
        register_quarter(seeded(), second, embed, RULES), third, embed, RULES
    )
    before = {q: ids_of(registry, q) for q in ("2016Q1", "2016Q3")}
    # 2016Q2 re-run: subject 7 is gone, subject 8 appeared.
    rerun = quarter("2016Q2", {"1": direction((1, 1)), "8": direction((8, 1))}, run_id="r2")
    again = register_quarter(registry, rerun, embed, RULES)
    assert {q: ids_of(again, q) for q in ("2016Q1", "2016Q3")} == before
    assert {a.run_id for a in again.assignments if a.quarter == "2016Q2"} == {"r2"}
    # Subject 7's id outlives the run that created it; ids are never reused or renumbered.
    assert again.quarters_of("stable_0004") == ["2016Q3"]
    assert ids_of(again, "2016Q2")["theme_2016Q2_8"] == "stable_0005"
    assert [t.stable_theme_id for t in again.themes][:4] == [
        t.stable_theme_id for t in registry.themes
    ]


def test_the_registry_survives_the_bucket_and_refuses_a_lost_update(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path))
    registry = seeded()
    assert save(store, registry, None, None) == 1
    loaded, head, tag = load(store)
    assert head is not None and head["version"] == 1
    assert tables(loaded)[0].equals(tables(registry)[0])
    assert tables(loaded)[1].equals(tables(registry)[1])
    second = register_quarter(loaded, quarter("2016Q2", {"1": direction((1, 1))}), embed, RULES)
    save(store, second, head, tag)
    with pytest.raises(PreconditionFailedError):
        save(store, second, head, tag)  # written from the same, now stale, read
    stable, _assignments = tables(load(store)[0])
    assert stable.column("quarters").to_pylist()[0] == ["2016Q1", "2016Q2"]
    assert stable.column("first_seen").to_pylist()[0] == "2016Q1"
