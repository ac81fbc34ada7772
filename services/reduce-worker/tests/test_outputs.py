from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from ftm_local.published import mapped_run
from ftm_shared import layout, runs, schemas
from ftm_shared.storage import ObjectStore
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.inputs import quarter_topics
from reduce_worker.naming import ThemeLabel
from reduce_worker.outputs import (
    RUN_ID_METADATA,
    contributions_table,
    publish,
    run_pair_keys,
    themes_table,
    write_pair,
)
from reduce_worker.runner import find_themes

pytestmark = pytest.mark.unit


class RecordingStore(ObjectStore):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.puts: list[str] = []

    def put_bytes(self, key: str, data: bytes) -> None:
        self.puts.append(key)
        super().put_bytes(key, data)


def test_tables_fit_the_contract_and_agree(
    planted: Callable[..., pa.Table], settings: ReduceWorkerSettings, tmp_path: Path
) -> None:
    topics = quarter_topics(planted(themes=4, firms=3, solo=2))
    found = find_themes(topics, settings, "2017Q1")
    labels = [ThemeLabel(name=f"Theme {t.theme_id}", description="x" * 20) for t in found.themes]
    themes = themes_table(found.themes, labels)
    contributions = contributions_table(found.themes, topics.rows)
    assert themes.schema.equals(schemas.THEMES)
    assert contributions.schema.equals(schemas.THEME_CONTRIBUTIONS)
    per_theme = contributions.group_by("theme_id").aggregate(
        [("topic_id", "count"), ("firm_id", "count_distinct")]
    )
    counts = {
        row["theme_id"]: (row["topic_id_count"], row["firm_id_count_distinct"])
        for row in per_theme.to_pylist()
    }
    assert counts == {
        row["theme_id"]: (row["n_topics"], row["n_firms"]) for row in themes.to_pylist()
    }
    assert contributions["firm_name"][0].as_py().endswith(" Inc.")

    store = RecordingStore(str(tmp_path))
    plan = mapped_run(store, "2017Q1", [planted(themes=4, firms=3, solo=2)], run_id="run-1")
    store.puts.clear()
    write_pair(store, run_pair_keys("2017Q1", "run-1"), themes, contributions, "run-1")
    published = publish(store, plan, themes, contributions)
    # Contributions first: themes.parquet, written last, is the commit point; the pointer to
    # the current run comes after the contract paths hold it.
    assert store.puts == [
        *run_pair_keys("2017Q1", "run-1"),
        layout.published_firm_topics_key("2017Q1"),
        layout.theme_contributions_key("2017Q1"),
        layout.themes_key("2017Q1"),
        layout.current_run_key("2017Q1"),
    ]
    assert len(published) == 3 and runs.current_run(store, "2017Q1") == "run-1"
    for key in store.puts[:-1]:
        metadata = store.read_parquet(key).schema.metadata
        assert metadata[RUN_ID_METADATA.encode()] == b"run-1"


def test_publishing_removes_other_objects_from_the_firm_topics_contract_path(
    planted: Callable[..., pa.Table], tmp_path: Path
) -> None:
    store = ObjectStore(str(tmp_path))
    stale = layout.firm_topics_prefix("2017Q1") + "batch_part-00000.parquet"
    store.write_parquet(stale, planted(themes=1, firms=1))
    plan = mapped_run(store, "2017Q1", [planted(themes=2, firms=2)])
    publish(
        store,
        plan,
        themes_table([], []),
        contributions_table([], schemas.FIRM_TOPICS.empty_table()),
    )
    assert store.parquet_keys(layout.firm_topics_prefix("2017Q1")) == [
        layout.published_firm_topics_key("2017Q1")
    ]


def test_no_themes_is_a_valid_empty_pair(settings: ReduceWorkerSettings) -> None:
    assert themes_table([], []).num_rows == 0
    empty = contributions_table([], schemas.FIRM_TOPICS.empty_table())
    assert empty.schema.equals(schemas.THEME_CONTRIBUTIONS) and empty.num_rows == 0
