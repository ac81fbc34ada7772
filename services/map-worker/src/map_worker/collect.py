"""The collect stage: every shard's failures in the quarter's one manifest, judged by the policy.

The firms of a shard that never finished (its job failed past its retries, or the state
machine's Distributed Map gave up on it) count as failed, each named, so a lost shard is
judged like the firms it held. Collect also sums the shards' counts and seconds into the run
manifest and sets its state: `mapped` (reduce may read it) or `map failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftm_shared import layout, runs
from ftm_shared.pipeline import FailurePolicy, Verdict
from ftm_shared.plan import Plan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore
from map_worker.progress_files import Failure, read_failures, write_failures


@dataclass(frozen=True)
class Collected:
    verdict: Verdict
    failures: list[Failure]
    counts: dict[str, int]


def shard_failures(store: ObjectStore, plan: Plan, progress: ShardProgress) -> list[Failure]:
    key = layout.shard_failures_key(plan.quarter, plan.run_id, progress.shard)
    recorded = read_failures(store, key)
    if progress.complete:
        return recorded
    known = {failure.firm_id: failure for failure in recorded}
    done = set(progress.firms_done)
    return [
        known.get(firm_id)
        or Failure(
            "map",
            "ShardNotFinished",
            f"shard {progress.shard} did not finish ({progress.attempts} attempt(s))",
            progress.attempts,
            firm_id,
        )
        for firm_id in plan.shard(progress.shard).firms
        if firm_id not in done
    ]


def collect(store: ObjectStore, plan: Plan) -> Collected:
    """Judge the run; when no shard changed since the last collect, judge what it wrote and
    write nothing (a reduced run stays reduced)."""
    progress = runs.shard_progress(store, plan)
    stamp = {p.shard: p.updated_at for p in progress}
    manifest = runs.read_manifest(store, plan.quarter, plan.run_id)
    if manifest.get("map", {}).get("progress") == stamp:
        return _collected_before(store, plan, manifest)
    failures = [
        Failure("read", p["error_type"], p["message"], 1, None, p["object_key"])
        for p in plan.input_failures
    ]
    for shard in progress:
        failures += shard_failures(store, plan, shard)
    key = layout.run_failures_key(plan.quarter, plan.run_id)
    uri = write_failures(store, key, failures, quarter=plan.quarter, run_id=plan.run_id)
    verdict = FailurePolicy(plan.tolerated_failure_pct).judge(
        plan.firms + len(plan.input_failures), len(failures), uri
    )
    counts = _sum(progress, "counts")
    counts.update(
        firms_planned=plan.firms,
        firms_failed=len(failures),
        shards=len(plan.shards),
        shards_complete=sum(p.complete for p in progress),
        attempts=sum(p.attempts for p in progress),
    )
    runs.update_manifest(
        store,
        plan,
        state=runs.MAPPED if verdict.passed else runs.MAP_FAILED,
        map={
            "progress": stamp,
            "counts": counts,
            "seconds": _sum(progress, "seconds"),
            "seconds_per_shard": {p.shard: p.seconds for p in progress},
            "llm_per_shard": {p.shard: p.llm for p in progress},
            "verdict": verdict.message(),
        },
        failures={"count": len(failures), "manifest": uri},
    )
    return Collected(verdict, failures, counts)


def _sum(progress: list[ShardProgress], what: str) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for shard in progress:
        for name, value in getattr(shard, what).items():
            if name not in {"firms_failed"}:
                total[name] = total.get(name, 0) + value
    return total


def _collected_before(store: ObjectStore, plan: Plan, manifest: dict[str, Any]) -> Collected:
    key = layout.run_failures_key(plan.quarter, plan.run_id)
    failures = read_failures(store, key)
    verdict = FailurePolicy(plan.tolerated_failure_pct).judge(
        plan.firms + len(plan.input_failures), len(failures), store.uri(key)
    )
    # The tolerance is operational: a re-run under another one judges the same firms again,
    # and the state follows, so that reduce runs on what is now within it (or not).
    judged = runs.MAPPED if verdict.passed else runs.MAP_FAILED
    if manifest.get("state") in {runs.MAPPED, runs.MAP_FAILED} - {judged}:
        runs.update_manifest(
            store, plan, state=judged, map={**manifest["map"], "verdict": verdict.message()}
        )
    return Collected(verdict, failures, manifest["map"]["counts"])
