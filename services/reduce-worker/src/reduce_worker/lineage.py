"""Themes across quarters: a quarter's themes linked to the previous quarter's current run.

Theme ids are per quarter (`theme_2017Q2_003`), so what links a theme to last quarter's is
where it sits among the topics. Its centroid is the normalised mean of its member topics'
centroids, taken in one space for both quarters: their topic centroids (map's embeddings,
the same model both quarters) without the *pooled* average topic of the two quarters. Each
quarter's own clustering space (`clustering.without_common_direction` of that quarter alone)
removes a slightly different average, so its centroids (`Theme.centroid`, never written)
are not comparable across quarters; the raw centroids are, but share the call register that
makes every theme look like every other (the reason the clustering removes it).

A link joins a previous theme and a current one when either is the other's most similar
theme and their cosine similarity is at least `LINEAGE_MIN_SIMILARITY`. Each current theme
is then:

- **new**: no link;
- **merged**: links to two or more previous themes;
- **split**: its one previous theme links to two or more current themes (it is one part);
- **continuing**: one link each way.

A previous theme with no link has **vanished**. Links use best matches only, not every pair
above the threshold, so two neighbouring themes that both continue are not reported as
merging into each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ftm_shared import layout, runs, schemas
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectStore
from reduce_worker.clustering import without_common_direction
from reduce_worker.inputs import read_firm_topics
from reduce_worker.procedure import set_aside


@dataclass(frozen=True)
class QuarterThemes:
    """A quarter's themes as rows of its content topics (raw unit centroids)."""

    quarter: str
    theme_ids: list[str]
    members: list[np.ndarray]  # row indices into `unit`, one array per theme
    unit: np.ndarray


def theme_centroids(space: np.ndarray, members: Sequence[np.ndarray]) -> np.ndarray:
    """One unit vector per theme: the normalised mean of its members' rows of `space`."""
    if not members:
        return np.zeros((0, space.shape[1]), dtype=np.float64)
    sums = np.stack([space[m].sum(axis=0, dtype=np.float64) for m in members])
    return np.asarray(sums / np.linalg.norm(sums, axis=1, keepdims=True), dtype=np.float64)


def best_links(similarity: np.ndarray, min_similarity: float) -> list[tuple[int, int]]:
    """(previous, current) index pairs: each current theme's most similar previous theme and
    each previous theme's most similar current theme, where at least `min_similarity`."""
    if similarity.size == 0:
        return []
    pairs = {(int(similarity[:, c].argmax()), c) for c in range(similarity.shape[1])}
    pairs |= {(p, int(similarity[p].argmax())) for p in range(similarity.shape[0])}
    return sorted((p, c) for p, c in pairs if similarity[p, c] >= min_similarity)


def theme_similarity(previous: QuarterThemes, current: QuarterThemes) -> np.ndarray:
    """Cosine similarity of every previous theme (rows) to every current theme (columns), in
    the two quarters' one space (module doc)."""
    space = without_common_direction(np.vstack([previous.unit, current.unit]))
    before = theme_centroids(space[: len(previous.unit)], previous.members)
    now = theme_centroids(space[len(previous.unit) :], current.members)
    return np.asarray(before @ now.T, dtype=np.float64)


def lineage_table(
    current: QuarterThemes,
    previous: QuarterThemes,
    previous_run_id: str,
    min_similarity: float,
) -> pa.Table:
    """The links between the two quarters' themes and every theme's status (module doc)."""
    similarity = theme_similarity(previous, current)
    links = best_links(similarity, min_similarity)
    predecessors: dict[int, list[int]] = defaultdict(list)
    successors: dict[int, list[int]] = defaultdict(list)
    for p, c in links:
        predecessors[c].append(p)
        successors[p].append(c)

    def row(c: int | None, p: int | None, status: str) -> dict[str, object]:
        return {
            "quarter": current.quarter,
            "theme_id": None if c is None else current.theme_ids[c],
            "previous_quarter": previous.quarter,
            "previous_run_id": previous_run_id,
            "previous_theme_id": None if p is None else previous.theme_ids[p],
            "similarity": None if c is None or p is None else float(similarity[p, c]),
            "status": status,
        }

    rows = []
    for c in range(len(current.theme_ids)):
        linked = predecessors.get(c, [])
        if not linked:
            rows.append(row(c, None, "new"))
            continue
        if len(linked) > 1:
            status = "merged"
        else:
            status = "split" if len(successors[linked[0]]) > 1 else "continuing"
        rows += [row(c, p, status) for p in linked]
    rows += [
        row(None, p, "vanished") for p in range(len(previous.theme_ids)) if p not in successors
    ]
    return pa.Table.from_pylist(rows, schema=schemas.THEME_LINEAGE)


def read_quarter_themes(store: ObjectStore, quarter: str, run_id: str) -> QuarterThemes:
    """A reduced run's themes, as rows of that run's content topics."""
    topics, _procedure = set_aside(read_firm_topics(store, Plan.load(store, quarter, run_id)))
    row_of = {
        (firm, topic): i
        for i, (firm, topic) in enumerate(
            zip(
                topics.rows["firm_id"].to_pylist(), topics.rows["topic_id"].to_pylist(), strict=True
            )
        )
    }
    contributions = store.read_parquet(layout.run_theme_contributions_key(quarter, run_id))
    members: dict[str, list[int]] = defaultdict(list)
    for theme_id, firm, topic in zip(
        contributions["theme_id"].to_pylist(),
        contributions["firm_id"].to_pylist(),
        contributions["topic_id"].to_pylist(),
        strict=True,
    ):
        members[theme_id].append(row_of[(firm, topic)])
    theme_ids = list(members)
    return QuarterThemes(
        quarter, theme_ids, [np.array(members[t], dtype=np.int64) for t in theme_ids], topics.unit
    )


def previous_lineage(
    store: ObjectStore, current: QuarterThemes, min_similarity: float
) -> tuple[pa.Table, str | None]:
    """The lineage against the previous quarter's current run, and that run's id; an empty
    table and None when the previous quarter has no current run."""
    quarter = layout.previous_quarter(current.quarter)
    run_id = runs.current_run(store, quarter)
    if run_id is None:
        return schemas.THEME_LINEAGE.empty_table(), None
    previous = read_quarter_themes(store, quarter, run_id)
    return lineage_table(current, previous, run_id, min_similarity), run_id


def lineage_counts(
    quarter: str, lineage: pa.Table, previous_run_id: str | None
) -> dict[str, object]:
    """For the summary and report: what was linked to, and themes per status (a merged or
    split theme counted once, whatever its links)."""
    if previous_run_id is None:
        return {}
    rows = lineage.to_pylist()
    counted = {
        status: len(
            {
                row["theme_id"] if status != "vanished" else row["previous_theme_id"]
                for row in rows
                if row["status"] == status
            }
        )
        for status in schemas.LINEAGE_STATUSES
    }
    return {
        "previous_quarter": layout.previous_quarter(quarter),
        "previous_run_id": previous_run_id,
        "links": sum(row["similarity"] is not None for row in rows),
        **counted,
    }
