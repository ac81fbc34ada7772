"""The reduce stage's two tables, written only once every theme is named.

Each object is replaced by one PUT (`ObjectStore.put_bytes`: S3 shows an object only when its
upload completes), so a reader never sees half a file. Two objects cannot change in one S3
operation, so the pair is ordered instead: `theme_contributions.parquet` first, then
`themes.parquet`. `themes.parquet` is the commit point: until it lands, the previous run's
themes stay in place, and once it lands its contributions are already there. Both files
carry the run's id in their Parquet metadata (`ftm.reduce_run_id`); a reader that reads
themes first, then contributions, and finds the ids equal holds one run's pair. They differ
only while a run is between its two PUTs (well under a second), or when a run died there;
the next run repairs that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ftm_shared import layout, schemas
from ftm_shared.storage import ObjectStore
from reduce_worker.naming import ThemeLabel
from reduce_worker.themes import Theme

RUN_ID_METADATA = "ftm.reduce_run_id"
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


def write_pair(
    store: ObjectStore, quarter: str, themes: pa.Table, contributions: pa.Table, run_id: str
) -> list[str]:
    """Contributions, then themes (the commit point); return their URIs in that order."""
    written = []
    for key, table in (
        (layout.theme_contributions_key(quarter), contributions),
        (layout.themes_key(quarter), themes),
    ):
        store.write_parquet(key, table.replace_schema_metadata({RUN_ID_METADATA: run_id}))
        written.append(store.uri(key))
    return written
