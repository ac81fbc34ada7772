"""One run's firm-topic rows (the map stage's output), checked and in a canonical order.

Unlike the map stage, which skips an unreadable raw object and runs the other firms, reduce
stops at the first bad part: themes computed without some firms would be silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ftm_shared import layout, schemas
from ftm_shared.errors import InputError
from ftm_shared.plan import Plan
from ftm_shared.runs import run_parts
from ftm_shared.storage import ObjectStore
from reduce_worker.clustering import unit_rows

# What the reduce stage uses of a firm-topic row; the rest (representation, centroid) not.
COLUMNS = [
    "firm_id",
    "firm_name",
    "permno",
    "gvkey",
    "earnings_call_date",
    "topic_id",
    "keywords",
    "name",
    "summary",
    # For the quality measures (procedure counts, names against the sentences shown).
    "representative_docs",
    "n_docs",
    "naming_method",
]


class NoTopicsError(InputError):
    """The quarter has no firm-topic rows to reduce."""


class FirmTopicsError(InputError):
    """A firm-topic part cannot be reduced as it is; the message names it and why."""


@dataclass(frozen=True)
class QuarterTopics:
    """Rows sorted by (firm_id, topic_id), and their centroids as unit vectors, same order."""

    rows: pa.Table
    unit: np.ndarray

    def __len__(self) -> int:
        return int(self.rows.num_rows)


def read_firm_topics(store: ObjectStore, plan: Plan) -> QuarterTopics:
    """The firm-topic rows of one run: exactly the parts its shards' progress lists, so parts
    of another run, or left by a killed job, are never read."""
    keys = run_parts(store, plan)
    tables = [_read_part(store, key, plan.quarter) for key in keys]
    if not tables or not any(table.num_rows for table in tables):
        raise NoTopicsError(
            f"run {plan.run_id} of {plan.quarter} has no firm-topic rows "
            f"({len(keys)} part(s) under {store.uri(layout.run_prefix(plan.quarter, plan.run_id))})"
        )
    table = pa.concat_tables(tables)
    _reject_duplicates(store, table)
    return quarter_topics(table)


def quarter_topics(table: pa.Table) -> QuarterTopics:
    """Firm-topic rows (checked) in (firm_id, topic_id) order, so that the order of parts and
    rows never changes the themes."""
    order = pc.sort_indices(table, sort_keys=[("firm_id", "ascending"), ("topic_id", "ascending")])
    table = table.take(order)
    centroids = table["centroid"].combine_chunks()
    vectors = centroids.flatten().to_numpy().reshape(len(table), -1)
    return QuarterTopics(table.select(COLUMNS), unit_rows(vectors))


def _read_part(store: ObjectStore, key: str, quarter: str) -> pa.Table:
    """One part, cast to the contract, with a `part` column naming where each row came from;
    any problem is an InputError naming the object (ContractError, CorruptObjectError,
    FirmTopicsError)."""
    table = store.read_contract(key, schemas.FIRM_TOPICS, "firm-topic")
    uri = store.uri(key)
    if table.num_rows == 0:
        return table.append_column("part", pa.array([], pa.string()))
    quarters = set(table["quarter"].unique().to_pylist())
    if quarters != {quarter}:
        raise FirmTopicsError(f"{uri}: rows of quarter(s) {sorted(quarters)} under {quarter}")
    _check_centroids(uri, table)
    return table.append_column("part", pa.array([key] * table.num_rows, pa.string()))


def _check_centroids(uri: str, table: pa.Table) -> None:
    lengths = pc.list_value_length(table["centroid"]).to_numpy()
    flat = table["centroid"].combine_chunks().flatten().to_numpy()
    problem = None
    if len(set(lengths.tolist())) > 1 or lengths[0] == 0:
        problem = f"centroid lengths differ or are empty ({sorted(set(lengths.tolist()))[:5]})"
    elif not np.isfinite(flat).all():
        problem = "a centroid holds NaN or infinity"
    elif (np.abs(flat.reshape(len(lengths), -1)).sum(axis=1) == 0).any():
        problem = "a centroid is all zeros (no direction to compare)"
    if problem:
        raise FirmTopicsError(f"{uri}: {problem}")


def _reject_duplicates(store: ObjectStore, table: pa.Table) -> None:
    """A (firm, topic) twice in one run's parts is a bug of the map stage: not ours to guess."""
    counts = table.group_by(["firm_id", "topic_id"]).aggregate([("part", "count")])
    repeated = counts.filter(pc.greater(counts["part_count"], 1))
    if repeated.num_rows == 0:
        return
    firm_id, topic_id = repeated["firm_id"][0].as_py(), repeated["topic_id"][0].as_py()
    mask = pc.and_(pc.equal(table["firm_id"], firm_id), pc.equal(table["topic_id"], topic_id))
    parts = sorted(set(table.filter(mask)["part"].to_pylist()))
    raise FirmTopicsError(
        f"{repeated.num_rows} (firm, topic) pair(s) appear more than once, e.g. firm "
        f"{firm_id} topic {topic_id} in {', '.join(store.uri(p) for p in parts)}"
    )
