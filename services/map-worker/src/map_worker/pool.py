"""The topic workers of one map process: Ray actors that keep the embedding model, lent to
firms one at a time; shared by every shard the process runs.

The pool also knows when no firm of the process waits for topics any more (`all_topics`):
where the LLM decodes on the same CPUs as the topic workers, naming waits for that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import ray

from ftm_shared.aws import DependencyNotReadyError
from map_worker.config import MapWorkerSettings
from map_worker.workers import TopicWorker, ray_logs, start_ray

log = logging.getLogger("map_worker")


class WorkerPool:
    def __init__(self, workers: list[Any], startup_s: float) -> None:
        self.workers, self.startup_s = workers, startup_s
        self.worker_startup_s: list[float] = []
        """Each worker's own start (model load, first encode, first fit), apart from Ray's."""
        self._idle: asyncio.Queue[Any] = asyncio.Queue()
        for worker in workers:
            self._idle.put_nowait(worker)
        self._firms_wanting_topics = 0
        self._firms_lent = 0
        self._no_firm_wants_topics = asyncio.Event()
        self._no_firm_wants_topics.set()

    @classmethod
    async def start(cls, settings: MapWorkerSettings) -> WorkerPool:
        """One worker per `RAY_CPUS_PER_WORKER` CPUs Ray sees (or `RAY_WORKERS`), each loaded."""
        started = time.perf_counter()
        resources = start_ray(settings.ray_address)
        per_worker = settings.ray_cpus_per_worker
        count = settings.ray_workers or max(1, int(resources.get("CPU", 1) // per_worker))
        workers = [
            TopicWorker.options(num_cpus=per_worker).remote(  # type: ignore[attr-defined]
                settings.embedding_batch_size, settings.topic_seed, int(per_worker), settings
            )
            for _ in range(count)
        ]
        pool = cls(workers, 0.0)
        await pool._ready(settings.ray_startup_timeout_s)
        pool.startup_s = time.perf_counter() - started
        return pool

    async def _ready(self, timeout_s: float) -> None:
        """A worker that dies at start (Ray logs it in its session folder, not here) would
        otherwise leave the run waiting for ever."""
        try:
            self.worker_startup_s = list(
                await asyncio.wait_for(
                    asyncio.gather(*(worker.ready.remote() for worker in self.workers)), timeout_s
                )
            )
        except TimeoutError:
            self.stop()
            raise DependencyNotReadyError(
                f"the Ray topic workers did not start within {timeout_s:.0f}s "
                f"(RAY_STARTUP_TIMEOUT_S); see {ray_logs() / 'raylet.err'}"
            ) from None

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[Any]:
        """A worker for one firm's topics, once one is free."""
        self._firms_wanting_topics += 1
        self._no_firm_wants_topics.clear()
        try:
            worker = await self._idle.get()
            try:
                yield worker
            finally:
                self._idle.put_nowait(worker)
        finally:
            self._firms_wanting_topics -= 1
            self._firms_lent += 1
            if not self._firms_wanting_topics:
                # Where naming waits for this, the shards' progress moves only from here on.
                log.info("topics: %d firm(s) done, none waiting", self._firms_lent)
                self._no_firm_wants_topics.set()

    async def all_topics(self) -> None:
        """Until no firm of the process waits for a worker or holds one. A shard's firms all
        ask at once, so their topics are all found by then."""
        await self._no_firm_wants_topics.wait()

    def stop(self) -> None:
        for worker in self.workers:
            ray.kill(worker)
