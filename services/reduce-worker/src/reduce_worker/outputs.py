"""The reduce stage's two tables, written only once every theme is named: under the run, then
published at the contract paths with the run's firm topics (`publish`).

Each object is replaced by one PUT (`ObjectStore.put_bytes`: S3 shows an object only when its
upload completes), so a reader never sees half a file. Two objects cannot change in one S3
operation, so the pair is ordered instead: `theme_contributions.parquet` first, then
`themes.parquet`. `themes.parquet` is the commit point: until it lands, the previous run's
themes stay in place, and once it lands its contributions are already there. Both files
carry the run's id in their Parquet metadata (`ftm.run_id`), as does the published
`firm_topics.parquet`; a reader that reads themes first, then contributions, and finds the ids
equal holds one run's pair. They differ only while a run is between its PUTs (well under a
second), or when a run died there; the next reduce repairs that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ftm_shared import layout, runs, schemas
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectStore
from reduce_worker.naming import ThemeLabel
from reduce_worker.themes import Theme

RUN_ID_METADATA = "ftm.run_id"
_TOPIC_COLUMNS = [
    n for n in schemas.THEME_CONTRIBUTIONS.names if n not in {"theme_id", "similarity"}
]


def themes_table(themes: Sequence[Theme], labels: Sequence[ThemeLabel]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "theme_id": theme.theme_id,
                "name": label.name,
                "description": label.description,
                "n_firms": theme.n_firms,
                "n_topics": theme.n_topics,
                "keywords": theme.keywords,
            }
            for theme, label in zip(themes, labels, strict=True)
        ],
        schema=schemas.THEMES,
    )


def contributions_table(themes: Sequence[Theme], rows: pa.Table) -> pa.Table:
    """One row per (theme, member topic), themes in order, members most central first."""
    if not themes:
        return schemas.THEME_CONTRIBUTIONS.empty_table()
    members = np.concatenate([theme.members for theme in themes])
    topics = rows.select(_TOPIC_COLUMNS).take(pa.array(members))
    theme_ids = [theme.theme_id for theme in themes for _ in theme.members]
    # Clipped: float rounding can put a member a hair past 1 from a centroid it dominates.
    similarity = np.clip(np.concatenate([t.similarity for t in themes]), -1, 1).astype(np.float32)
    table = topics.add_column(0, "theme_id", pa.array(theme_ids, pa.string()))
    table = table.append_column("similarity", pa.array(similarity))
    return table.select(schemas.THEME_CONTRIBUTIONS.names).cast(schemas.THEME_CONTRIBUTIONS)


def _stamped(table: pa.Table, run_id: str) -> pa.Table:
    return table.replace_schema_metadata({RUN_ID_METADATA: run_id})


def write_pair(
    store: ObjectStore,
    keys: tuple[str, str],
    themes: pa.Table,
    contributions: pa.Table,
    run_id: str,
) -> list[str]:
    """Contributions, then themes (the commit point), at `keys` (contributions', themes');
    return their URIs in that order."""
    contributions_key, themes_key = keys
    for key, table in ((contributions_key, contributions), (themes_key, themes)):
        store.write_parquet(key, _stamped(table, run_id))
    return [store.uri(contributions_key), store.uri(themes_key)]


def run_pair_keys(quarter: str, run_id: str) -> tuple[str, str]:
    return layout.run_theme_contributions_key(quarter, run_id), layout.run_themes_key(
        quarter, run_id
    )


def publish(store: ObjectStore, plan: Plan, themes: pa.Table, contributions: pa.Table) -> list[str]:
    """Make `plan`'s run the quarter's current result at the contract paths: its firm topics
    in one object (other objects there, older runs' or the old layout's, are removed), its
    themes pair, and last `current.json`, which names the run."""
    quarter, run_id = plan.quarter, plan.run_id
    parts = [
        store.read_contract(k, schemas.FIRM_TOPICS, "firm-topics")
        for k in runs.run_parts(store, plan)
    ]
    firm_topics = pa.concat_tables(parts).sort_by(
        [("firm_id", "ascending"), ("topic_id", "ascending")]
    )
    topics_key = layout.published_firm_topics_key(quarter)
    store.write_parquet(topics_key, _stamped(firm_topics, run_id))
    for key in store.parquet_keys(layout.firm_topics_prefix(quarter)):
        if key != topics_key:
            store.delete(key)
    keys = (layout.theme_contributions_key(quarter), layout.themes_key(quarter))
    written = [store.uri(topics_key), *write_pair(store, keys, themes, contributions, run_id)]
    runs.set_current(store, quarter, run_id)
    return written
