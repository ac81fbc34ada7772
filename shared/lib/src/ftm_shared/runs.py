"""A quarter's runs after the plan: each shard's progress, the run manifest, which run to read.

A shard writes its firm topics as parts, then its progress (`ShardProgress`), which lists
them: a part the progress does not list was left by a killed job, and nobody reads it. Reduce
reads exactly the parts the progress files of one run list, so parts of other runs, or of an
abandoned attempt, never leak in. The manifest (`layout.run_manifest_key`) is written by one
stage at a time (plan, collect, reduce, never the shards, which run at once), and its `state`
says how far the run got.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ftm_shared import layout
from ftm_shared.errors import InputError
from ftm_shared.plan import Plan, executed_plan, plans_of
from ftm_shared.provenance import git_commit, installed_versions
from ftm_shared.storage import CorruptObjectError, ObjectNotFoundError, ObjectStore

PLANNED, MAPPED, MAP_FAILED, REDUCED, REDUCE_FAILED = (
    "planned",
    "mapped",
    "map failed",
    "reduced",
    "reduce failed",
)
# States whose map output is complete and judged within the failure policy.
REDUCIBLE = (MAPPED, REDUCED, REDUCE_FAILED)
VERSIONED = (
    "ftm-shared",
    "ftm-map-worker",
    "ftm-reduce-worker",
    "bertopic",
    "sentence-transformers",
    "torch",
    "ray",
    "scikit-learn",
    "umap-learn",
    "hdbscan",
    "numpy",
    "pyarrow",
    "openai",
)


@dataclass
class ShardProgress:
    quarter: str
    run_id: str
    shard: str
    firms_done: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    complete: bool = False
    attempts: int = 0
    """Jobs that worked on the shard (a resumed shard has more than one)."""
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=dict)
    updated_at: float = 0.0

    @classmethod
    def load(cls, store: ObjectStore, quarter: str, run_id: str, shard: str) -> ShardProgress:
        try:
            payload = store.read_json(layout.shard_progress_key(quarter, run_id, shard))
        except ObjectNotFoundError:
            return cls(quarter, run_id, shard)
        return cls(**payload)

    def save(self, store: ObjectStore) -> None:
        self.updated_at = time.time()
        key = layout.shard_progress_key(self.quarter, self.run_id, self.shard)
        store.write_json(key, asdict(self))

    def next_part_key(self) -> str:
        return layout.shard_part_key(self.quarter, self.run_id, self.shard, len(self.parts))

    def sentence_part_key(self, part: int) -> str:
        """The sentence-topics part written with firm-topics part number `part`."""
        return layout.shard_sentence_part_key(self.quarter, self.run_id, self.shard, part)

    def remove_orphan_parts(self, store: ObjectStore) -> list[str]:
        """Parts (firm-topics and their sentence-topics) the progress does not list."""
        listed = set(self.parts) | {self.sentence_part_key(n) for n in range(len(self.parts))}
        orphans = [
            key
            for prefix in (
                layout.shard_parts_prefix(self.quarter, self.run_id, self.shard),
                layout.shard_sentence_parts_prefix(self.quarter, self.run_id, self.shard),
            )
            for key in store.parquet_keys(prefix)
            if key not in listed
        ]
        for key in orphans:
            store.delete(key)
        return orphans


def shard_progress(store: ObjectStore, plan: Plan) -> list[ShardProgress]:
    return [ShardProgress.load(store, plan.quarter, plan.run_id, s.shard) for s in plan.shards]


def read_manifest(store: ObjectStore, quarter: str, run_id: str) -> dict[str, Any]:
    """The run's manifest ({} before its first stage wrote it); CorruptObjectError names one
    that is cut short or not a JSON object."""
    key = layout.run_manifest_key(quarter, run_id)
    try:
        manifest = store.read_json(key)
    except ObjectNotFoundError:
        return {}
    if not isinstance(manifest, dict):
        raise CorruptObjectError(store.uri(key), f"a JSON {type(manifest).__name__}, not an object")
    return manifest


def update_manifest(store: ObjectStore, plan: Plan, /, **sections: Any) -> None:
    """Replace `sections` of the run's manifest; the others stay as the earlier stages left them."""
    manifest = read_manifest(store, plan.quarter, plan.run_id)
    manifest.update(sections, run_id=plan.run_id, quarter=plan.quarter, updated_at=time.time())
    store.write_json(layout.run_manifest_key(plan.quarter, plan.run_id), manifest)


def environment() -> dict[str, Any]:
    """Versions and the commit a stage ran with, for the manifest."""
    return {"versions": installed_versions(VERSIONED), "git_commit": git_commit()}


def current_run(store: ObjectStore, quarter: str) -> str | None:
    """The run whose result the contract paths hold (the last one reduced)."""
    try:
        return str(store.read_json(layout.current_run_key(quarter))["run_id"])
    except ObjectNotFoundError:
        return None


def set_current(store: ObjectStore, quarter: str, run_id: str) -> None:
    store.write_json(
        layout.current_run_key(quarter), {"run_id": run_id, "published_at": time.time()}
    )


@dataclass
class RunStatus:
    plan: Plan
    manifest: dict[str, Any]
    shards_complete: int
    current: bool
    problem: str = ""
    """Why the manifest could not be read, where it could not."""

    @property
    def state(self) -> str:
        if self.problem:
            return "unknown (manifest unreadable)"
        state = str(self.manifest.get("state", PLANNED))
        if state == PLANNED:
            return f"mapping ({self.shards_complete}/{len(self.plan.shards)} shards done)"
        return state


def runs_of(store: ObjectStore, quarter: str) -> list[RunStatus]:
    """Every run of the quarter and how far it got, newest first."""
    current = current_run(store, quarter)
    return [_status(store, plan, plan.run_id == current) for plan in plans_of(store, quarter)]


def _status(store: ObjectStore, plan: Plan, current: bool) -> RunStatus:
    # One run's damaged manifest is said beside it; it hides none of the others.
    try:
        manifest, problem = read_manifest(store, plan.quarter, plan.run_id), ""
    except CorruptObjectError as error:
        manifest, problem = {}, str(error)
    done = sum(p.complete for p in shard_progress(store, plan))
    return RunStatus(plan, manifest, done, current, problem)


def reducible_run(store: ObjectStore, quarter: str, run_id: str | None = None) -> Plan:
    """The named run, or the newest one whose map finished within the failure policy; a run
    still mapping, or one that failed the policy, is never picked."""
    if run_id is not None:
        plan = Plan.load(store, quarter, run_id)
        state = read_manifest(store, quarter, run_id).get("state", PLANNED)
        if state not in REDUCIBLE:
            raise InputError(
                f"run {run_id} of {quarter} is '{state}', not mapped: run its map and collect "
                "stages first"
            )
        return plan
    for plan in plans_of(store, quarter):
        if read_manifest(store, quarter, plan.run_id).get("state") in REDUCIBLE:
            return plan
    raise InputError(
        f"quarter {quarter} has no run whose map finished (`ftm runs --quarter {quarter}`)"
    )


def run_parts(store: ObjectStore, plan: Plan) -> list[str]:
    """The firm-topic parts of one run: only those its shards' progress lists."""
    return [key for progress in shard_progress(store, plan) for key in progress.parts]


def run_sentence_parts(store: ObjectStore, plan: Plan) -> list[str]:
    """The sentence-topics parts of one run, one beside each of its firm-topic parts (a run
    mapped before map wrote them has none: check `store.exists`)."""
    return [
        progress.sentence_part_key(n)
        for progress in shard_progress(store, plan)
        for n in range(len(progress.parts))
    ]


def record_gpu_time(
    store: ObjectStore, quarter: str, execution: str, usage: dict[str, Any]
) -> str | None:
    """Add an execution's GPU time (the cloud smoke measures it) to the manifest of the run it
    planned; None when the execution planned none (it failed before its plan)."""
    try:
        pointer = executed_plan(store, quarter, execution)
    except ObjectNotFoundError:
        return None
    plan = Plan.load(store, quarter, str(pointer["run_id"]))
    earlier = read_manifest(store, quarter, plan.run_id).get("gpu", [])
    update_manifest(store, plan, gpu=[*earlier, {"execution": execution, **usage}])
    return plan.run_id
