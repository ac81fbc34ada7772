"""The theme registry in the bucket (`processed/registry/`), and registering a reduced run.

Each version's tables are written under their own prefix, then `head.json` is swapped to name
them with a conditional write on the version read (S3 `If-Match`): two reduces registering at
once cannot lose each other's assignments; the later one reads again and assigns again. The
current version is also published at the contract paths (`stable_themes.parquet`,
`theme_assignments.parquet`) for readers.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import pyarrow as pa

from ftm_shared import layout, schemas
from ftm_shared.embedding import embed
from ftm_shared.llm.fit import Embed, unit_rows
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectNotFoundError, ObjectStore, PreconditionFailedError
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.inputs import read_firm_topics
from reduce_worker.procedure import set_aside
from reduce_worker.registry import (
    Assignment,
    QuarterThemes,
    Registry,
    Rules,
    StableTheme,
    decisions,
    register_quarter,
)
from reduce_worker.themes import theme_centroids

log = logging.getLogger("reduce_worker.registry")

ATTEMPTS = 3


class RegistryConflictError(RuntimeError):
    """The registry kept changing under this writer."""


def load(store: ObjectStore) -> tuple[Registry, dict[str, Any] | None, str | None]:
    """The current registry, its head and the head's version tag (None, None when empty)."""
    try:
        data, tag = store.get_versioned(layout.REGISTRY_HEAD_KEY)
    except ObjectNotFoundError:
        return Registry(), None, None
    head: dict[str, Any] = json.loads(data)
    prefix = layout.registry_version_prefix(head["version"])
    themes = store.read_parquet(prefix + "stable_themes.parquet").to_pylist()
    assignments = store.read_parquet(prefix + "theme_assignments.parquet").to_pylist()
    registry = Registry(
        np.asarray(head["register"], dtype=np.float64),
        tuple(
            StableTheme(
                row["stable_theme_id"],
                row["name"],
                row["description"],
                row["keywords"],
                np.asarray(row["anchor"], dtype=np.float32),
                row["created_quarter"],
                row["created_run_id"],
                row["created_from_theme_id"],
                row["split_from"],
            )
            for row in themes
        ),
        tuple(Assignment(**row) for row in assignments),
    )
    return registry, head, tag


def tables(registry: Registry) -> tuple[pa.Table, pa.Table]:
    """The registry as its two contract tables (stable themes, assignments)."""
    rows = []
    for theme in registry.themes:
        quarters = registry.quarters_of(theme.stable_theme_id)
        rows.append(
            {
                "stable_theme_id": theme.stable_theme_id,
                "name": theme.name,
                "description": theme.description,
                "keywords": theme.keywords,
                "created_quarter": theme.created_quarter,
                "created_run_id": theme.created_run_id,
                "created_from_theme_id": theme.created_from_theme_id,
                "split_from": theme.split_from,
                "quarters": quarters,
                "first_seen": quarters[0] if quarters else None,
                "last_seen": quarters[-1] if quarters else None,
                "n_quarters": len(quarters),
                "anchor": theme.anchor.astype(np.float32).tolist(),
            }
        )
    assignments = [vars(a) for a in registry.assignments]
    return (
        pa.Table.from_pylist(rows, schema=schemas.STABLE_THEMES),
        pa.Table.from_pylist(assignments, schema=schemas.THEME_ASSIGNMENTS),
    )


def save(
    store: ObjectStore, registry: Registry, head: dict[str, Any] | None, tag: str | None
) -> int:
    """Write `registry` as the version after `head`'s, if the head is still `tag`; its number."""
    assert registry.register is not None, "a saved registry has a register"
    version = (head["version"] if head else 0) + 1
    stable, assignments = tables(registry)
    prefix = layout.registry_version_prefix(version)
    store.write_parquet(prefix + "stable_themes.parquet", stable)
    store.write_parquet(prefix + "theme_assignments.parquet", assignments)
    payload = {"version": version, "register": registry.register.astype(float).tolist()}
    store.put_conditional(layout.REGISTRY_HEAD_KEY, json.dumps(payload).encode(), tag)
    store.write_parquet(layout.STABLE_THEMES_KEY, stable)
    store.write_parquet(layout.THEME_ASSIGNMENTS_KEY, assignments)
    return version


def quarter_themes(
    store: ObjectStore, plan: Plan, themes: pa.Table, contributions: pa.Table
) -> QuarterThemes:
    """A reduced run's themes as the registry compares them: content centroids of their
    member topics (weighted by sentences, as names are checked), and the quarter's register."""
    topics, _procedure = set_aside(read_firm_topics(store, plan))
    row_of = {
        key: i
        for i, key in enumerate(
            zip(
                topics.rows["firm_id"].to_pylist(), topics.rows["topic_id"].to_pylist(), strict=True
            )
        )
    }
    members: dict[str, list[int]] = {}
    for theme_id, firm, topic in zip(
        contributions["theme_id"].to_pylist(),
        contributions["firm_id"].to_pylist(),
        contributions["topic_id"].to_pylist(),
        strict=True,
    ):
        members.setdefault(theme_id, []).append(row_of[(firm, topic)])
    rows = themes.to_pylist()
    ids = [row["theme_id"] for row in rows]
    centroids = theme_centroids(
        [members[t] for t in ids], topics.unit, topics.rows["n_docs"].to_numpy()
    )
    return QuarterThemes(
        plan.quarter,
        plan.run_id,
        ids,
        [row["name"] for row in rows],
        [row["description"] for row in rows],
        [list(row["keywords"]) for row in rows],
        centroids,
        unit_rows(topics.unit.mean(axis=0, keepdims=True, dtype=np.float64))[0],
    )


def register_run(
    store: ObjectStore,
    plan: Plan,
    themes: pa.Table,
    contributions: pa.Table,
    embed: Embed,
    rules: Rules,
    *,
    again: bool = False,
) -> Registry:
    """Register the run's themes (replacing the quarter's earlier assignments); the registry
    written. A run already registered for its quarter is left as it is unless `again`."""
    current = quarter_themes(store, plan, themes, contributions)
    for _attempt in range(ATTEMPTS):
        registry, head, tag = load(store)
        if registry.run_registered(plan.quarter) == plan.run_id and not again:
            return registry
        updated = register_quarter(registry, current, embed, rules)
        try:
            save(store, updated, head, tag)
        except PreconditionFailedError:
            log.warning("registry changed while %s was registered; reading it again", plan.quarter)
            continue
        return updated
    raise RegistryConflictError(
        f"the theme registry ({store.uri(layout.REGISTRY_HEAD_KEY)}) changed {ATTEMPTS} times "
        f"while {plan.quarter} run {plan.run_id} was registered: run reduce again"
    )


def registered(
    store: ObjectStore,
    plan: Plan,
    themes: pa.Table,
    contributions: pa.Table,
    settings: ReduceWorkerSettings,
    *,
    again: bool = False,
) -> dict[str, Any]:
    """`register_run` with the settings' rules and the bundled embedding model; the quarter's
    themes per decision and the stable themes in all (the summaries print them)."""
    rules = Rules(settings.registry_min_similarity, settings.registry_name_fit_rank)
    registry = register_run(store, plan, themes, contributions, embed, rules, again=again)
    return {**decisions(registry, plan.quarter), "stable_themes": len(registry.themes)}
