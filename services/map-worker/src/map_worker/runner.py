"""The map stage: firms in parallel on Ray, topics named through one LLM client, checkpointed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import ray

from ftm_shared import schemas
from ftm_shared.aws import DependencyNotReadyError
from ftm_shared.errors import InputError
from ftm_shared.llm import LlmClient, LlmConfigurationError, LlmError
from ftm_shared.llm.accept import AnswerRejectedError
from ftm_shared.pipeline import FailurePolicy, Verdict
from ftm_shared.progress import Progress
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings
from map_worker.documents import FirmDocuments, group_by_firm, read_quarter
from map_worker.naming import TopicNaming, name_topic
from map_worker.progress_files import Checkpoint, Failure, write_failures
from map_worker.topics import Topic
from map_worker.workers import TopicWorker, ray_logs, shares, start_ray

log = logging.getLogger("map_worker")


@dataclass
class MapRequest:
    quarter: str
    batch_id: str
    firms: int | None = None
    firm_ids: tuple[str, ...] = ()
    keyword_fallback: bool = False


@dataclass
class MapSummary:
    quarter: str
    batch_id: str
    firms_total: int = 0
    inputs_failed: int = 0
    """Firms and objects refused before mapping (unsafe id, unreadable object): failures too."""
    firms_resumed: int = 0
    firms_done: int = 0
    documents: int = 0
    topics: int = 0
    failures: list[Failure] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=dict)
    failures_uri: str = ""

    def verdict(self, policy: FailurePolicy) -> Verdict:
        return policy.judge(
            self.firms_total + self.inputs_failed, len(self.failures), self.failures_uri
        )


class BusyClock:
    """Wall seconds during which at least one caller was inside: for work that overlaps across
    firms (naming), the time it occupied, where a sum over firms would count it many times."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._inside = 0
        self._since = 0.0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if not self._inside:
            self._since = time.perf_counter()
        self._inside += 1
        try:
            yield
        finally:
            self._inside -= 1
            if not self._inside:
                self.seconds += time.perf_counter() - self._since


def select_firms(table: pa.Table, request: MapRequest) -> pa.Table:
    """The rows of the requested firms (`--firm-ids`, or the first `--firms` N by id)."""
    present = sorted(set(table["firm_id"].to_pylist()))
    if request.firm_ids:
        unknown = set(request.firm_ids) - set(present)
        if unknown:
            raise InputError(f"--firm-ids not in the quarter's data: {', '.join(sorted(unknown))}")
        wanted = list(request.firm_ids)
    elif request.firms:
        wanted = present[: request.firms]
    else:
        return table
    return table.filter(pc.is_in(table["firm_id"], pa.array(wanted)))


def topic_rows(
    firm: FirmDocuments, quarter: str, topics: list[Topic], namings: list[TopicNaming], model: str
) -> list[dict[str, Any]]:
    return [
        {
            "quarter": quarter,
            "firm_id": firm.firm_id,
            "firm_name": firm.firm_name,
            "permno": firm.permno,
            "gvkey": firm.gvkey,
            "earnings_call_date": firm.earnings_call_date,
            "topic_id": topic.topic_id,
            "representation": topic.representation,
            "keywords": topic.keywords,
            "representative_docs": topic.representative_docs,
            "n_docs": topic.n_docs,
            "name": naming.name,
            "summary": naming.summary,
            "naming_method": naming.naming_method,
            "llm_model": model if naming.naming_method == "llm" else None,
            "centroid": topic.centroid.tolist(),
        }
        for topic, naming in zip(topics, namings, strict=True)
    ]


class MapRun:
    def __init__(self, settings: MapWorkerSettings, request: MapRequest, store: ObjectStore):
        self.settings, self.request, self.store = settings, request, store
        self.summary = MapSummary(request.quarter, request.batch_id)
        self.checkpoint = Checkpoint.load(store, request.quarter, request.batch_id)
        self.buffer: list[dict[str, Any]] = []
        self.buffered_firms: list[str] = []
        self.naming_clock = BusyClock()

    async def run(self) -> MapSummary:
        started = time.perf_counter()
        table, problems = read_quarter(self.store, self.request.quarter)
        firms, firm_problems = group_by_firm(select_firms(table, self.request), self.settings)
        self.summary.failures += [*problems, *firm_problems]
        self.summary.inputs_failed = len(problems) + len(firm_problems)
        self.summary.stage_seconds["read"] = time.perf_counter() - started
        for orphan in self.checkpoint.remove_orphan_parts(self.store):
            log.warning("removed %s: written by a run killed before its checkpoint", orphan)
        done = set(self.checkpoint.firms_done)
        todo = [firm for firm in firms if firm.firm_id not in done]
        self.summary.firms_total = len(firms)
        self.summary.firms_resumed = len(firms) - len(todo)
        if self.summary.firms_resumed:
            log.info(
                "resuming batch %s: %d firm(s) already done, %d to go",
                self.request.batch_id,
                self.summary.firms_resumed,
                len(todo),
            )
        try:
            if todo:
                await self._process(todo)
        finally:
            self._flush()
            self.summary.parts = list(self.checkpoint.parts)
            self.summary.failures_uri = write_failures(
                self.store, self.request.quarter, self.request.batch_id, self.summary.failures
            )
            self.summary.stage_seconds["total"] = time.perf_counter() - started
        return self.summary

    async def _started(self, workers: list[Any]) -> None:
        """Wait for the workers to load their model; a worker that dies at start (Ray logs it
        in its session folder, not here) would otherwise leave the run waiting for ever."""
        timeout_s = self.settings.ray_startup_timeout_s
        try:
            await asyncio.wait_for(
                asyncio.gather(*(worker.ready.remote() for worker in workers)), timeout_s
            )
        except TimeoutError:
            raise DependencyNotReadyError(
                f"the Ray topic workers did not start within {timeout_s:.0f}s "
                f"(RAY_STARTUP_TIMEOUT_S); see {ray_logs() / 'raylet.err'}"
            ) from None

    async def _process(self, firms: list[FirmDocuments]) -> None:
        started = time.perf_counter()
        resources = start_ray(self.settings.ray_address)
        per_worker = self.settings.ray_cpus_per_worker
        count = self.settings.ray_workers or max(1, int(resources.get("CPU", 1) // per_worker))
        workers = [
            TopicWorker.options(num_cpus=per_worker).remote(  # type: ignore[attr-defined]
                self.settings.embedding_batch_size,
                self.settings.topic_seed,
                int(per_worker),
                self.settings,
            )
            for _ in range(count)
        ]
        await self._started(workers)
        self.summary.stage_seconds["startup"] = time.perf_counter() - started
        vectors = await self._embed(firms, workers)
        idle: asyncio.Queue[Any] = asyncio.Queue()
        for worker in workers:
            idle.put_nowait(worker)
        progress = Progress(f"map {self.request.quarter} firms", len(firms), log)
        log.info(
            "map %s: %d firm(s) on %d Ray worker(s), LLM %s at %s",
            self.request.quarter,
            len(firms),
            count,
            self.settings.llm_model,
            self.settings.llm_base_url,
        )
        async with LlmClient(self.settings.llm_config()) as client:
            await client.ensure_ready()
            tasks = [
                asyncio.create_task(self._firm(firm, firm_vectors, idle, client))
                for firm, firm_vectors in zip(firms, vectors, strict=True)
            ]
            try:
                for finished in asyncio.as_completed(tasks):
                    firm_id, ok = await finished
                    progress.advance(note=f"{firm_id} {'done' if ok else 'FAILED'}")
                    if len(self.buffered_firms) >= self.settings.checkpoint_interval:
                        self._flush()
            finally:
                for task in tasks:
                    task.cancel()
                self.summary.llm = client.stats.as_dict()
                self.summary.stage_seconds["naming"] = self.naming_clock.seconds
        for worker in workers:
            ray.kill(worker)

    async def _embed(self, firms: list[FirmDocuments], workers: list[Any]) -> list[Any]:
        """Every firm's embeddings (Ray object refs), computed before any naming starts."""
        started = time.perf_counter()
        vectors: list[Any] = [None] * len(firms)
        dealt = shares([len(firm.texts) for firm in firms], len(workers))
        for worker, share in zip(workers, dealt, strict=True):
            if not share:
                continue
            refs = worker.embed.options(num_returns=len(share)).remote(
                [firms[i].texts for i in share]
            )
            for i, ref in zip(share, refs if len(share) > 1 else [refs], strict=True):
                vectors[i] = ref
        # Wait without fetching: the arrays go from the object store straight to the workers.
        await asyncio.to_thread(ray.wait, vectors, num_returns=len(vectors), fetch_local=False)
        self.summary.stage_seconds["embed"] = time.perf_counter() - started
        self.summary.documents += sum(len(f.texts) for f in firms)
        return vectors

    async def _firm(
        self, firm: FirmDocuments, vectors: Any, idle: asyncio.Queue[Any], client: LlmClient
    ) -> tuple[str, bool]:
        worker = await idle.get()
        try:
            topics, seconds = await worker.topics.remote(firm.texts, vectors)
        except ray.exceptions.RayTaskError as error:
            cause = error.cause if error.cause is not None else error
            return self._fail(firm, "topics", cause)
        finally:
            idle.put_nowait(worker)
        self.summary.stage_seconds["topics"] = (
            self.summary.stage_seconds.get("topics", 0.0) + seconds
        )
        try:
            with self.naming_clock():
                namings = await asyncio.gather(
                    *(
                        name_topic(
                            client,
                            topic,
                            self.settings,
                            keyword_fallback=self.request.keyword_fallback,
                        )
                        for topic in topics
                    )
                )
        except LlmConfigurationError:
            raise
        except (LlmError, AnswerRejectedError) as error:
            return self._fail(firm, "naming", error, attempts=self.settings.llm_max_attempts)
        self.buffer += topic_rows(
            firm, self.request.quarter, topics, namings, self.settings.llm_model
        )
        self.buffered_firms.append(firm.firm_id)
        self.summary.topics += len(topics)
        self.summary.firms_done += 1
        return firm.firm_id, True

    def _fail(
        self, firm: FirmDocuments, stage: str, error: BaseException, attempts: int = 1
    ) -> tuple[str, bool]:
        log.error("firm %s failed at %s: %s: %s", firm.firm_id, stage, type(error).__name__, error)
        self.summary.failures.append(
            Failure.of(stage, error, attempts=attempts, firm_id=firm.firm_id)
        )
        return firm.firm_id, False

    def _flush(self) -> None:
        """Write the buffered firms as one part, then the checkpoint that lists it."""
        if not self.buffered_firms:
            return
        key = self.checkpoint.next_part_key()
        self.store.write_parquet(key, pa.Table.from_pylist(self.buffer, schema=schemas.FIRM_TOPICS))
        self.checkpoint.parts.append(key)
        self.checkpoint.firms_done += self.buffered_firms
        self.checkpoint.save(self.store)
        log.info("checkpoint: %d firm(s) in %s", len(self.buffered_firms), self.store.uri(key))
        self.buffer, self.buffered_firms = [], []
