"""Themes across quarters: two synthetic quarters whose themes continue, split, merge, appear
and vanish by construction."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from ftm_local.published import mapped_run
from ftm_shared import layout, runs, schemas
from ftm_shared.storage import ObjectStore
from reduce_worker.clustering import unit_rows
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.lineage import (
    QuarterThemes,
    best_links,
    lineage_counts,
    lineage_table,
    previous_lineage,
)
from reduce_worker.naming import ThemeLabel
from reduce_worker.runner import ReduceRun
from reduce_worker.themes import Theme

from .conftest import topic_row

pytestmark = pytest.mark.unit

MIN_SIMILARITY = 0.5
DIM = 384


def quarter(name: str, themes: dict[str, list[np.ndarray]], seed: int) -> QuarterThemes:
    """Each theme's member topics: four noisy copies of each direction listed for it."""
    rng = np.random.default_rng(seed)
    vectors, members = [], []
    for directions in themes.values():
        start = len(vectors)
        for direction in directions:
            vectors += [direction + rng.normal(scale=0.05, size=DIM) for _ in range(4)]
        members.append(np.arange(start, len(vectors)))
    # Topics in no theme still count towards the quarter's average topic.
    vectors += list(rng.normal(size=(6, DIM)))
    return QuarterThemes(name, list(themes), members, unit_rows(np.array(vectors)))


@pytest.fixture
def two_quarters() -> tuple[QuarterThemes, QuarterThemes]:
    """2017Q1: A, B (continue), C (vanishes), D (splits in two), M1 and M2 (merge);
    2017Q2: A, B, E (new), D1 and D2 (D's two halves), M (M1 and M2 together)."""
    d = dict(zip("ABCDEFGH", np.random.default_rng(7).normal(size=(8, DIM)), strict=True))
    d1, d2 = d["D"] + d["F"], d["D"] + d["G"]
    m1, m2 = d["H"] + d["F"] * 0.3, d["H"] + d["G"] * 0.3
    before = quarter(
        "2017Q1",
        {"q1_A": [d["A"]], "q1_B": [d["B"]], "q1_C": [d["C"]], "q1_D": [d1, d2], "q1_M1": [m1],
         "q1_M2": [m2]},
        seed=1,
    )  # fmt: skip
    after = quarter(
        "2017Q2",
        {"q2_A": [d["A"]], "q2_B": [d["B"]], "q2_E": [d["E"]], "q2_D1": [d1], "q2_D2": [d2],
         "q2_M": [m1, m2]},
        seed=2,
    )  # fmt: skip
    return before, after


def status_of(table: pa.Table) -> dict[tuple[str | None, str | None], str]:
    return {(row["previous_theme_id"], row["theme_id"]): row["status"] for row in table.to_pylist()}


def test_continuing_new_vanished_split_and_merged_themes_are_told_apart(
    two_quarters: tuple[QuarterThemes, QuarterThemes],
) -> None:
    before, after = two_quarters
    table = lineage_table(after, before, "run-q1", MIN_SIMILARITY)
    assert table.schema.equals(schemas.THEME_LINEAGE)
    assert status_of(table) == {
        ("q1_A", "q2_A"): "continuing",
        ("q1_B", "q2_B"): "continuing",
        (None, "q2_E"): "new",
        ("q1_D", "q2_D1"): "split",
        ("q1_D", "q2_D2"): "split",
        ("q1_M1", "q2_M"): "merged",
        ("q1_M2", "q2_M"): "merged",
        ("q1_C", None): "vanished",
    }
    rows = table.to_pylist()
    linked = [row["similarity"] for row in rows if row["previous_theme_id"] and row["theme_id"]]
    assert min(linked) >= MIN_SIMILARITY
    assert all(row["similarity"] is None for row in rows if row["status"] in {"new", "vanished"})
    assert {row["previous_run_id"] for row in rows} == {"run-q1"}
    assert lineage_counts("2017Q2", table, "run-q1") == {
        "previous_quarter": "2017Q1",
        "previous_run_id": "run-q1",
        "links": 6,
        "continuing": 2,
        "split": 2,
        "merged": 1,
        "new": 1,
        "vanished": 1,
    }


def test_a_higher_threshold_turns_continuing_themes_into_new_and_vanished(
    two_quarters: tuple[QuarterThemes, QuarterThemes],
) -> None:
    before, after = two_quarters
    statuses = set(status_of(lineage_table(after, before, "run-q1", 0.9999)).values())
    assert statuses == {"new", "vanished"}


def test_links_are_best_matches_only() -> None:
    similarity = np.array([[0.9, 0.6], [0.2, 0.8]])
    # (0, 1) is above the threshold but neither theme's best match: not a link.
    assert best_links(similarity, 0.5) == [(0, 0), (1, 1)]
    assert best_links(np.zeros((0, 3)), 0.5) == []


def test_the_previous_quarter_is_read_from_its_current_run(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path))
    rng = np.random.default_rng(3)
    directions = rng.normal(size=(2, DIM))
    rows = [
        topic_row(f"F{f}", t, directions[t] + rng.normal(scale=0.05, size=DIM), [f"w{t}"])
        for f in range(3)
        for t in range(2)
    ]
    rows.append({**topic_row("F0", -1, rng.normal(size=DIM), ["procedure"]), "topic_id": -1})
    mapped_run(store, "2017Q1", [pa.Table.from_pylist(rows, schema=schemas.FIRM_TOPICS)], "r1")
    contributions = pa.Table.from_pylist(
        [
            {"theme_id": f"theme_2017Q1_00{t + 1}", "firm_id": f"F{f}", "topic_id": t,
             "similarity": 0.9}
            for t in range(2)
            for f in range(3)
        ],
        schema=schemas.THEME_CONTRIBUTIONS,
    )  # fmt: skip
    store.write_parquet(layout.run_theme_contributions_key("2017Q1", "r1"), contributions)
    current = QuarterThemes(
        "2017Q2",
        ["theme_2017Q2_001"],
        [np.arange(3)],
        unit_rows(np.array([directions[1] + rng.normal(scale=0.05, size=DIM) for _ in range(3)])),
    )
    empty, none = previous_lineage(store, current, MIN_SIMILARITY)
    assert none is None and empty.num_rows == 0  # 2017Q1 has no current run yet
    runs.set_current(store, "2017Q1", "r1")
    table, run_id = previous_lineage(store, current, MIN_SIMILARITY)
    assert run_id == "r1"
    assert status_of(table) == {
        ("theme_2017Q1_002", "theme_2017Q2_001"): "continuing",
        ("theme_2017Q1_001", None): "vanished",
    }


def test_reducing_two_quarters_in_order_links_the_second_to_the_first(
    tmp_path: Path,
    real_firm_topics: pa.Table,
    settings: ReduceWorkerSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same real firm topics as 2017Q1 and 2017Q2: every theme continues, at similarity 1
    (naming stubbed: this is about what reduce writes around it)."""

    async def named(self: ReduceRun, themes: list[Theme], _topics: object) -> list[ThemeLabel]:
        return [ThemeLabel(name=f"Theme {t.theme_id}", description="x" * 20) for t in themes]

    monkeypatch.setattr(ReduceRun, "_name_all", named)
    monkeypatch.setattr(settings, "theme_distance_threshold", 0.5)
    store = ObjectStore(str(tmp_path))
    summaries = {}
    for quarter in ("2017Q1", "2017Q2"):
        rows = real_firm_topics.set_column(
            0, "quarter", pa.array([quarter] * real_firm_topics.num_rows)
        )
        mapped_run(store, quarter, [rows], run_id=f"run-{quarter}")
        summaries[quarter] = asyncio.run(ReduceRun(settings, quarter, store).run())

    assert summaries["2017Q1"].lineage == {}  # no 2016Q4 run
    assert store.read_parquet(layout.theme_lineage_key("2017Q1")).num_rows == 0
    themes = summaries["2017Q2"].themes
    assert themes > 1
    assert summaries["2017Q2"].lineage == {
        "previous_quarter": "2017Q1",
        "previous_run_id": "run-2017Q1",
        "links": themes,
        **dict.fromkeys(schemas.LINEAGE_STATUSES, 0),
        "continuing": themes,
    }
    lineage = store.read_parquet(layout.theme_lineage_key("2017Q2")).to_pylist()
    assert all(
        row["previous_theme_id"] == row["theme_id"].replace("2017Q2", "2017Q1")
        and row["similarity"] == pytest.approx(1.0, abs=1e-5)
        for row in lineage
    )
    quotes = store.read_parquet(layout.theme_quotes_key("2017Q2"))
    assert quotes.num_rows > 0
    assert max(quotes["rank"].to_pylist()) <= settings.theme_quotes
    report = store.read_json(layout.run_reduce_report_key("2017Q2", "run-2017Q2"))
    assert report["lineage"]["continuing"] == themes
    assert report["settings"]["lineage_min_similarity"] == settings.lineage_min_similarity


def test_a_broken_previous_quarter_leaves_the_themes_published_unlinked(
    tmp_path: Path,
    real_firm_topics: pa.Table,
    settings: ReduceWorkerSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def named(self: ReduceRun, themes: list[Theme], _topics: object) -> list[ThemeLabel]:
        return [ThemeLabel(name=f"Theme {t.theme_id}", description="x" * 20) for t in themes]

    monkeypatch.setattr(ReduceRun, "_name_all", named)
    store = ObjectStore(str(tmp_path))
    runs.set_current(store, "2016Q4", "gone")  # its run's files are not there
    mapped_run(store, "2017Q1", [real_firm_topics], run_id="run-2017Q1")
    summary = asyncio.run(ReduceRun(settings, "2017Q1", store).run())
    assert not summary.failures
    assert "error" in summary.lineage
    assert store.read_parquet(layout.theme_lineage_key("2017Q1")).num_rows == 0
    assert runs.current_run(store, "2017Q1") == "run-2017Q1"
