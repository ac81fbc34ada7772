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

The companions of the pair (`COMPANIONS`: each theme's quotes, the lineage to the previous
quarter, the firm-theme exposure panel) are written before it, stamped the same way, so they
too are in place when the commit point lands.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
import pyarrow as pa

from ftm_shared import layout, runs, schemas
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectStore
from reduce_worker.naming import FALLBACK_METHOD, LLM_METHOD, ThemeLabel
from reduce_worker.themes import Theme

RUN_ID_METADATA = "ftm.run_id"
# Tables written with the pair, before it: name -> (key under the run, contract key).
COMPANIONS: dict[str, tuple[Callable[[str, str], str], Callable[[str], str]]] = {
    "quotes": (layout.run_theme_quotes_key, layout.theme_quotes_key),
    "lineage": (layout.run_theme_lineage_key, layout.theme_lineage_key),
    "exposure": (layout.run_exposure_key, layout.exposure_key),
}
_TOPIC_COLUMNS = [
    n for n in schemas.THEME_CONTRIBUTIONS.names if n not in {"theme_id", "similarity"}
]


def themes_table(
    themes: Sequence[Theme], labels: Sequence[ThemeLabel], fallbacks: Collection[str] = ()
) -> pa.Table:
    """One row per theme; `fallbacks` are the ids of themes named by `fallback_label`."""
    return pa.Table.from_pylist(
        [
            {
                "theme_id": theme.theme_id,
                "name": label.name,
                "description": label.description,
                "naming_method": FALLBACK_METHOD if theme.theme_id in fallbacks else LLM_METHOD,
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
    companions: Sequence[tuple[str, pa.Table]] = (),
) -> list[str]:
    """The companions ((key, table) pairs), contributions, then themes (the commit point),
    the pair at `keys` (contributions', themes'); return their URIs in that order."""
    contributions_key, themes_key = keys
    written = [*companions, (contributions_key, contributions), (themes_key, themes)]
    for key, table in written:
        store.write_parquet(key, _stamped(table, run_id))
    return [store.uri(key) for key, _table in written]


def run_companions(
    quarter: str, run_id: str, tables: Mapping[str, pa.Table]
) -> list[tuple[str, pa.Table]]:
    """(key under the run, table) for each companion in `tables` (by `COMPANIONS` name)."""
    return [(COMPANIONS[name][0](quarter, run_id), table) for name, table in tables.items()]


def read_run_companions(store: ObjectStore, quarter: str, run_id: str) -> dict[str, pa.Table]:
    """The companions a run wrote (one reduced before they existed has none)."""
    keys = {name: run_key(quarter, run_id) for name, (run_key, _) in COMPANIONS.items()}
    return {name: store.read_parquet(key) for name, key in keys.items() if store.exists(key)}


def run_pair_keys(quarter: str, run_id: str) -> tuple[str, str]:
    return layout.run_theme_contributions_key(quarter, run_id), layout.run_themes_key(
        quarter, run_id
    )


def publish(
    store: ObjectStore,
    plan: Plan,
    themes: pa.Table,
    contributions: pa.Table,
    companions: Mapping[str, pa.Table] | None = None,
) -> list[str]:
    """Make `plan`'s run the quarter's current result at the contract paths: its firm topics
    in one object (other objects there, older runs' or the old layout's, are removed), its
    themes pair with its companions (a companion the run lacks is removed, never left from
    another run), and last `current.json`, which names the run."""
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
    companions = companions or {}
    for name, (_, published_key) in COMPANIONS.items():
        if name not in companions and store.exists(published_key(quarter)):
            store.delete(published_key(quarter))
    placed = [(COMPANIONS[name][1](quarter), table) for name, table in companions.items()]
    keys = (layout.theme_contributions_key(quarter), layout.themes_key(quarter))
    written = [
        store.uri(topics_key),
        *write_pair(store, keys, themes, contributions, run_id, placed),
    ]
    runs.set_current(store, quarter, run_id)
    return written
