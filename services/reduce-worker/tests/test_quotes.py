"""Supporting quotes: most central topics first, spread over topics, no sentence twice; and
their place among the outputs (written with the pair, before its commit point)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from ftm_local.published import mapped_run
from ftm_shared import layout, schemas
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.inputs import quarter_topics
from reduce_worker.naming import ThemeLabel
from reduce_worker.outputs import (
    RUN_ID_METADATA,
    contributions_table,
    publish,
    read_run_companions,
    run_companions,
    run_pair_keys,
    themes_table,
    write_pair,
)
from reduce_worker.quotes import quotes_table, theme_quotes
from reduce_worker.runner import find_themes
from reduce_worker.themes import Theme

from .test_outputs import RecordingStore

pytestmark = pytest.mark.unit


def theme(members: list[int], similarity: list[float]) -> Theme:
    return Theme(
        theme_id="theme_2017Q1_001",
        members=np.array(members),
        similarity=np.array(similarity, dtype=np.float32),
        n_firms=len(members),
        keywords=[],
        centroid=np.zeros(3, dtype=np.float32),
    )


def test_quotes_follow_the_topics_similarity_then_each_topics_own_order() -> None:
    docs = [
        ["row0 best", "row0 second"],
        ["row1 best", "row1 second", "row1 third"],
        ["Row0   BEST"],  # the same words as row 0's best: quoted once
        [],
    ]
    # Members most central first, as the partition orders them: row 1, then 2, 0, 3.
    central = theme([1, 2, 0, 3], [0.9, 0.8, 0.7, 0.6])
    assert theme_quotes(central, docs, 10) == [
        (0, "row1 best"),
        (1, "Row0   BEST"),
        (0, "row1 second"),
        (2, "row0 second"),
        (0, "row1 third"),
    ]
    assert theme_quotes(central, docs, 2) == [(0, "row1 best"), (1, "Row0   BEST")]


def test_quotes_table_names_the_firm_call_and_similarity(
    planted: Callable[..., pa.Table], settings: ReduceWorkerSettings
) -> None:
    rows = planted(themes=2, firms=3).to_pylist()
    for row in rows:
        row["representative_docs"] = [
            f"{row['firm_id']} on theme {row['topic_id']}: {n}" for n in "ab"
        ]
    topics = quarter_topics(pa.Table.from_pylist(rows, schema=schemas.FIRM_TOPICS))
    found = find_themes(topics, settings, "2017Q1")
    table = quotes_table(found.themes, topics.rows, 4)
    assert table.schema.equals(schemas.THEME_QUOTES)
    for found_theme in found.themes:
        quotes = table.filter(pa.compute.equal(table["theme_id"], found_theme.theme_id))
        assert quotes["rank"].to_pylist() == [1, 2, 3, 4]
        similarity = quotes["similarity"].to_pylist()
        # Three topics' best sentences by falling similarity, then the first one's second.
        assert similarity[:3] == sorted(similarity[:3], reverse=True)
        assert similarity[3] == similarity[0]
        assert quotes["text"][0].as_py().startswith(quotes["firm_id"][0].as_py())
        assert quotes["firm_name"][0].as_py() == f"{quotes['firm_id'][0].as_py()} Inc."


def test_companions_are_written_and_published_before_the_commit_point(
    planted: Callable[..., pa.Table], settings: ReduceWorkerSettings, tmp_path: Path
) -> None:
    topics = quarter_topics(planted(themes=2, firms=3))
    found = find_themes(topics, settings, "2017Q1")
    labels = [ThemeLabel(name=f"Theme {t.theme_id}", description="x" * 20) for t in found.themes]
    themes = themes_table(found.themes, labels)
    contributions = contributions_table(found.themes, topics.rows)
    companions = {
        "quotes": quotes_table(found.themes, topics.rows, 3),
        "lineage": schemas.THEME_LINEAGE.empty_table(),
    }
    store = RecordingStore(str(tmp_path))
    plan = mapped_run(store, "2017Q1", [planted(themes=2, firms=3)], run_id="run-1")
    store.puts.clear()
    keys = run_pair_keys("2017Q1", "run-1")
    write_pair(
        store, keys, themes, contributions, "run-1", run_companions("2017Q1", "run-1", companions)
    )
    publish(store, plan, themes, contributions, read_run_companions(store, "2017Q1", "run-1"))
    assert store.puts == [
        layout.run_theme_quotes_key("2017Q1", "run-1"),
        layout.run_theme_lineage_key("2017Q1", "run-1"),
        *keys,
        layout.published_firm_topics_key("2017Q1"),
        layout.theme_quotes_key("2017Q1"),
        layout.theme_lineage_key("2017Q1"),
        layout.theme_contributions_key("2017Q1"),
        layout.themes_key("2017Q1"),
        layout.current_run_key("2017Q1"),
    ]
    quotes = store.read_parquet(layout.theme_quotes_key("2017Q1"))
    assert quotes.schema.metadata[RUN_ID_METADATA.encode()] == b"run-1"
    # A run without companions (reduced before they existed) leaves none of another run's.
    publish(store, plan, themes, contributions)
    assert not store.exists(layout.theme_quotes_key("2017Q1"))
    assert not store.exists(layout.theme_lineage_key("2017Q1"))
