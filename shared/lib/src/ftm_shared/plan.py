"""A quarter's plan: its firms (from the raw transcripts) in shards, and the run it belongs to.

The plan stage (`map-worker plan`) writes it under the run (`layout.plan_key`); everything
after it reads it: each shard job its firms, collect the firm count the policy judges, the
state machine (through the execution's record, `pointer()`) the shards, their concurrency and
the tolerated failures. A run's id is minted once per fingerprint of the inputs and the
settings that change the result, so a retry or a redrive of the same quarter finds the same
run and resumes it; `--new-run` mints a new one on purpose.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow.compute as pc

from ftm_shared import layout, schemas
from ftm_shared.errors import InputError
from ftm_shared.pipeline import FailurePolicy
from ftm_shared.storage import (
    ContractError,
    CorruptObjectError,
    ObjectNotFoundError,
    ObjectStore,
)


@dataclass(frozen=True)
class ShardPlan:
    shard: str
    firms: list[str]


@dataclass
class QuarterInputs:
    """The raw transcripts of a quarter as the plan sees them: which objects (and their
    content hashes), which firms with how many rows, which objects could not be read."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    firm_rows: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)


def read_inputs(store: ObjectStore, quarter: str) -> QuarterInputs:
    """Every raw object of the quarter, read as the map stage reads it (the raw-transcripts
    contract): an object that does not fit it is a problem the quarter's failures list."""
    prefix = layout.raw_transcripts_prefix(quarter)
    keys = store.parquet_keys(prefix)
    if not keys:
        raise InputError(f"no raw transcripts under {store.uri(prefix)}: run `ftm ingest`")
    found = QuarterInputs()
    for key in keys:
        data = store.get_bytes(key)
        found.objects.append(
            {"key": key, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        )
        try:
            firm_ids = store.read_contract(key, schemas.RAW_TRANSCRIPTS, "raw-transcripts")[
                "firm_id"
            ]
        except (CorruptObjectError, ContractError) as error:
            found.problems.append(
                {"object_key": key, "error_type": type(error).__name__, "message": str(error)}
            )
            continue
        counted = pc.value_counts(firm_ids)
        for firm_id, count in zip(
            counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True
        ):
            if firm_id is not None:
                found.firm_rows[str(firm_id)] = found.firm_rows.get(str(firm_id), 0) + count
    return found


def split(firms: list[str], shard_firms: int) -> list[ShardPlan]:
    ordered = sorted(firms)
    return [
        ShardPlan(f"{n:05d}", ordered[start : start + shard_firms])
        for n, start in enumerate(range(0, len(ordered), shard_firms))
    ]


def fingerprint(quarter: str, inputs: QuarterInputs, result_settings: dict[str, Any]) -> str:
    """Of what decides the result: the raw objects' contents and the settings that matter."""
    described = {
        "quarter": quarter,
        "objects": sorted((o["key"], o["sha256"]) for o in inputs.objects),
        "settings": result_settings,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def mint_run_id(store: ObjectStore, quarter: str, fingerprint_hex: str) -> str:
    """Sorts by start time, says which inputs and settings it computed, and is new: a second
    run of the same fingerprint started within the same second gets a counter."""
    base = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{fingerprint_hex[:8]}"
    run_id, n = base, 1
    while store.exists(layout.plan_key(quarter, run_id)):
        n += 1
        run_id = f"{base}-{n}"
    return run_id


@dataclass
class Plan:
    quarter: str
    run_id: str
    fingerprint: str
    created_at: str
    shards: list[ShardPlan]
    settings: dict[str, Any]
    """Every setting the map stage runs with (the result-changing ones are fingerprinted)."""
    concurrency: dict[str, int]
    tolerated_failure_pct: float
    inputs: list[dict[str, Any]] = field(default_factory=list)
    input_failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def firms(self) -> int:
        return sum(len(shard.firms) for shard in self.shards)

    def shard(self, shard_id: str) -> ShardPlan:
        for shard in self.shards:
            if shard.shard == shard_id:
                return shard
        known = ", ".join(s.shard for s in self.shards)
        raise InputError(f"run {self.run_id} has no shard {shard_id!r} (its shards: {known})")

    def items(self) -> list[dict[str, Any]]:
        """The Distributed Map's items: one per shard."""
        return [{"shard": shard.shard, "firms": len(shard.firms)} for shard in self.shards]

    def pointer(self) -> dict[str, Any]:
        """What the state machine reads after the plan stage (small: no firm lists)."""
        return {
            "run_id": self.run_id,
            "quarter": self.quarter,
            "run_prefix": layout.run_prefix(self.quarter, self.run_id),
            "shards_key": layout.shard_items_key(self.quarter, self.run_id),
            "failures_key": layout.run_failures_key(self.quarter, self.run_id),
            "shards": len(self.shards),
            "firms": self.firms,
            "shards_in_flight": self.concurrency["shards_in_flight"],
            "tolerated_failure_pct": self.tolerated_failure_pct,
            "tolerated_shard_failures": FailurePolicy(
                self.tolerated_failure_pct
            ).shards_the_map_may_lose([len(shard.firms) for shard in self.shards]),
        }

    def save(self, store: ObjectStore) -> None:
        store.write_json(layout.shard_items_key(self.quarter, self.run_id), self.items())
        store.write_json(layout.plan_key(self.quarter, self.run_id), asdict(self))

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> Plan:
        shards = [ShardPlan(**shard) for shard in payload.pop("shards")]
        return cls(shards=shards, **payload)

    @classmethod
    def load(cls, store: ObjectStore, quarter: str, run_id: str) -> Plan:
        try:
            return cls.from_dict(store.read_json(layout.plan_key(quarter, run_id)))
        except ObjectNotFoundError:
            raise InputError(
                f"quarter {quarter} has no run {run_id!r} (`ftm runs --quarter {quarter}` "
                "lists them)"
            ) from None


def plans_of(store: ObjectStore, quarter: str) -> list[Plan]:
    """Every planned run of the quarter, newest first."""
    keys = [k for k in store.list_keys(layout.runs_prefix(quarter)) if k.endswith("/plan.json")]
    plans = [Plan.from_dict(store.read_json(key)) for key in keys]
    return sorted(plans, key=lambda plan: (plan.created_at, plan.run_id), reverse=True)


def matching_plan(store: ObjectStore, quarter: str, fingerprint_hex: str) -> Plan | None:
    """The newest run of the same inputs and settings: a re-run resumes it."""
    return next((p for p in plans_of(store, quarter) if p.fingerprint == fingerprint_hex), None)


def record_execution(store: ObjectStore, plan: Plan, execution: str) -> None:
    store.write_json(layout.execution_key(plan.quarter, execution), plan.pointer())


def executed_plan(store: ObjectStore, quarter: str, execution: str) -> dict[str, Any]:
    pointer: dict[str, Any] = store.read_json(layout.execution_key(quarter, execution))
    return pointer
