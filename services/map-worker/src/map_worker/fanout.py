"""The map stage of one run: the plan's shards, each with its own progress and failures.

In AWS each shard is its own Batch job (`--shard`, the state machine's Distributed Map fans
out over the plan). Here one process runs them, `shards_in_flight` of the plan at a time, on
one Ray node whose topic workers every shard shares: the same plan, the same shard jobs, the
same files, without a job scheduler. Shards already complete are skipped before Ray starts,
so re-running a finished run costs only reading its progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from ftm_shared import layout
from ftm_shared.lease import Lease
from ftm_shared.plan import Plan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings
from map_worker.documents import quarter_words, read_quarter
from map_worker.pool import WorkerPool
from map_worker.progress_files import read_failures
from map_worker.runner import ShardRun, ShardSummary

log = logging.getLogger("map_worker")


@dataclass
class MapSummary:
    quarter: str
    run_id: str
    shards: list[ShardSummary] = field(default_factory=list)
    startup_s: float = 0.0
    """Ray's and the topic workers' start, wall seconds."""
    worker_startup_s: list[float] = field(default_factory=list)
    """Each worker's own start: model load, first encode, first topic fit."""
    seconds: float = 0.0

    def totals(self) -> dict[str, Any]:
        """The shards' counts, stage seconds and LLM counters summed (latency quantiles: the
        slowest shard's), for one line per run."""
        done = [shard for shard in self.shards if not shard.skipped]
        seconds: dict[str, float] = {"startup": self.startup_s}
        llm: dict[str, Any] = {}
        for shard in done:
            for name, value in shard.stage_seconds.items():
                seconds[name] = seconds.get(name, 0.0) + value
            for name, value in shard.llm.items():
                merge = max if name.startswith("latency_") else sum
                llm[name] = merge((llm.get(name, 0), value))
        return {
            "firms_done": sum(shard.firms_done for shard in done),
            "firms_resumed": sum(shard.firms_resumed for shard in done),
            "shards_skipped": len(self.shards) - len(done),
            "documents": sum(shard.documents for shard in done),
            "topics": sum(shard.topics for shard in done),
            "procedural": sum(shard.procedural for shard in done),
            "failures": [asdict(f) for shard in done for f in shard.failures],
            "stage_seconds": seconds,
            "llm": llm,
        }


async def run_shards(
    settings: MapWorkerSettings, store: ObjectStore, plan: Plan, only: str | None = None
) -> MapSummary:
    """Run `only` that shard of the plan, or all of them (`shards_in_flight` at a time)."""
    started = time.perf_counter()
    summary = MapSummary(plan.quarter, plan.run_id)
    wanted = [plan.shard(only)] if only else plan.shards
    pending = []
    for shard in wanted:
        if finished(store, plan, shard.shard):
            summary.shards.append(_skipped(plan, shard.shard, len(shard.firms)))
        else:
            pending.append(shard.shard)
    if pending:
        with shard_leases(store, plan, pending, settings.map_lease_s) as leases:
            summary.shards += await _map(settings, store, plan, leases, summary)
    summary.shards.sort(key=lambda shard: shard.shard)
    summary.seconds = time.perf_counter() - started
    return summary


@contextlib.contextmanager
def shard_leases(
    store: ObjectStore, plan: Plan, shards: list[str], ttl_s: float
) -> Iterator[dict[str, Lease]]:
    """Hold every shard's lease while mapping it (one mapper per shard of a run); none are
    kept when one is another's (LeaseHeldError names the holder)."""
    with contextlib.ExitStack() as held:
        leases = {}
        for shard in shards:
            lease = Lease(
                store,
                layout.shard_lease_key(plan.quarter, plan.run_id, shard),
                f"shard {shard} of run {plan.run_id}",
                ttl_s,
            )
            leases[shard] = held.enter_context(lease)
        yield leases


async def _map(
    settings: MapWorkerSettings,
    store: ObjectStore,
    plan: Plan,
    leases: dict[str, Lease],
    summary: MapSummary,
) -> list[ShardSummary]:
    """The `leases`' shards on one pool of Ray workers (`shards_in_flight` at a time)."""
    table, _unreadable = read_quarter(store, plan.quarter)  # the plan lists those
    words = quarter_words(table)  # once, from every firm of the quarter
    pool = await WorkerPool.start(settings)
    summary.startup_s, summary.worker_startup_s = pool.startup_s, pool.worker_startup_s
    in_flight = asyncio.Semaphore(plan.concurrency["shards_in_flight"])
    log.info(
        "map %s run %s: %d shard(s) to do, %d at a time, on %d Ray worker(s)",
        plan.quarter,
        plan.run_id,
        len(leases),
        plan.concurrency["shards_in_flight"],
        len(pool.workers),
    )

    async def one(shard: str) -> ShardSummary:
        async with in_flight:
            run = ShardRun(settings, store, plan, shard, pool, leases[shard])
            return await run.run(table, words)

    try:
        return list(await asyncio.gather(*(one(shard) for shard in leases)))
    finally:
        pool.stop()


def finished(store: ObjectStore, plan: Plan, shard: str) -> bool:
    """Complete, and no firm of it failed for want of the LLM or S3: nothing left to try."""
    if not ShardProgress.load(store, plan.quarter, plan.run_id, shard).complete:
        return False
    key = layout.shard_failures_key(plan.quarter, plan.run_id, shard)
    return all(failure.final for failure in read_failures(store, key))


def _skipped(plan: Plan, shard: str, firms: int) -> ShardSummary:
    log.info("shard %s of run %s is complete: skipped", shard, plan.run_id)
    return ShardSummary(plan.quarter, plan.run_id, shard, skipped=True, firms_total=firms)
