"""One shard of the map stage: its firms on the process's Ray workers, topics named through one
LLM client as soon as each firm's topics exist, checkpointed into the shard's progress.

Every `CHECKPOINT_INTERVAL` finished firms become one Parquet part (with, beside it under the
same number, a part of their sentences' topics), then the shard's progress
(`ftm_shared.runs.ShardProgress`) lists it; a killed job leaves at most one unlisted pair,
which the next attempt deletes before it does those firms again. A shard whose progress says
complete is skipped: re-running a run redoes nothing that finished.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import ray

from ftm_shared import layout, schemas
from ftm_shared.embedding import embed
from ftm_shared.lease import Lease, LeaseLostError
from ftm_shared.llm import LlmClient, LlmConfigurationError, LlmError
from ftm_shared.llm.fit import NameGate
from ftm_shared.plan import Plan
from ftm_shared.progress import Progress
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings
from map_worker.documents import FirmDocuments, group_by_firm, quarter_words
from map_worker.keywords import QuarterWords
from map_worker.naming import TopicNaming, name_topic
from map_worker.pool import WorkerPool
from map_worker.progress_files import (
    Failure,
    read_failures,
    standing_failures,
    write_failures,
)
from map_worker.topics import PROCEDURE_TOPIC_ID, Topic, sentence_topic_ids

log = logging.getLogger("map_worker")


@dataclass(frozen=True)
class FirmCost:
    """What one firm's embedding and topics cost, and on which worker (`nth` 1: its first)."""

    firm_id: str
    sentences: int
    embed_s: float
    topics_s: float
    worker: int
    nth: int


@dataclass
class ShardSummary:
    quarter: str
    run_id: str
    shard: str
    skipped: bool = False
    """The shard was complete before this job: nothing was redone."""
    firms_total: int = 0
    firms_resumed: int = 0
    firms_done: int = 0
    documents: int = 0
    topics: int = 0
    procedural: int = 0
    """Sentences set aside as call procedure (each firm's topic -1 row)."""
    failures: list[Failure] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=dict)
    failures_uri: str = ""
    firm_costs: list[FirmCost] = field(default_factory=list)


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


def sentence_rows(firm: FirmDocuments, quarter: str, topics: list[Topic]) -> list[dict[str, Any]]:
    """One row per sentence the firm's topics were found in, with its topic (-1: procedure,
    -2: in no topic); none for a firm whose documents do not say where they came from."""
    if not firm.origins:
        return []
    ids = sentence_topic_ids(topics, len(firm.texts))
    return [
        {
            "firm_id": firm.firm_id,
            "call_id": origin.call_id,
            "quarter": quarter,
            "para_idx": origin.para_idx,
            "sentence_idx": origin.sentence_idx,
            "topic_id": topic_id,
            "text": text,
        }
        for text, origin, topic_id in zip(firm.texts, firm.origins, ids, strict=True)
    ]


def shard_rows(table: pa.Table, firm_ids: list[str]) -> pa.Table:
    return table.filter(pc.is_in(table["firm_id"], pa.array(firm_ids, pa.string())))


class ShardRun:
    def __init__(
        self,
        settings: MapWorkerSettings,
        store: ObjectStore,
        plan: Plan,
        shard: str,
        pool: WorkerPool,
        lease: Lease | None = None,
    ) -> None:
        self.settings, self.store, self.plan, self.pool = settings, store, plan, pool
        self.lease = lease
        self.firm_ids = plan.shard(shard).firms
        self.keyword_fallback = bool(plan.settings.get("keyword_fallback", False))
        self.progress = ShardProgress.load(store, plan.quarter, plan.run_id, shard)
        self.summary = ShardSummary(plan.quarter, plan.run_id, shard)
        self.buffer: list[dict[str, Any]] = []
        self.sentence_buffer: list[dict[str, Any]] = []
        self.buffered_firms: list[str] = []
        self.naming_clock = BusyClock()

    async def run(self, table: pa.Table, words: QuarterWords | None = None) -> ShardSummary:
        """Map the shard's firms of `table` (the quarter's raw rows) not done before; `words`:
        the whole quarter's word counts (keywords are weighed against them)."""
        self.words = ray.put(words if words is not None else quarter_words(table))
        started = time.perf_counter()
        summary, progress = self.summary, self.progress
        summary.firms_total = len(self.firm_ids)
        progress.attempts += 1
        for orphan in progress.remove_orphan_parts(self.store):
            log.warning("removed %s: written by a job killed before its checkpoint", orphan)
        firms, problems = group_by_firm(shard_rows(table, self.firm_ids), self.settings)
        summary.failures += problems + self._vanished(firms, problems)
        final = self._final_failures(problems) if progress.complete else []
        summary.failures += final
        done = set(progress.firms_done) | {failure.firm_id for failure in final}
        todo = [firm for firm in firms if firm.firm_id not in done]
        summary.firms_resumed = len(progress.firms_done)
        if done:
            log.info(
                "resuming shard %s of run %s: %d firm(s) already done, %d to go",
                summary.shard,
                summary.run_id,
                len(done),
                len(todo),
            )
        finished = False
        try:
            if todo:
                await self._process(todo)
            finished = True
        finally:
            self._flush()
            summary.stage_seconds["total"] = time.perf_counter() - started
            self._close(finished)
        return summary

    def _final_failures(self, problems: list[Failure]) -> list[Failure]:
        """A complete shard run again (`fanout.finished`): its firms that failed for want of
        the LLM or S3 are tried again, its other failures stand."""
        key = layout.shard_failures_key(self.plan.quarter, self.plan.run_id, self.summary.shard)
        earlier = read_failures(self.store, key)
        log.info(
            "shard %s of run %s: trying again %d firm(s) that failed for want of the LLM or S3",
            self.summary.shard,
            self.plan.run_id,
            sum(not failure.final for failure in earlier),
        )
        return standing_failures(earlier, problems)

    def _vanished(self, firms: list[FirmDocuments], problems: list[Failure]) -> list[Failure]:
        """Planned firms whose rows are gone from the raw transcripts since the plan."""
        seen = {firm.firm_id for firm in firms} | {p.firm_id for p in problems}
        return [
            Failure("read", "FirmNotFound", f"firm {firm_id} has no rows in the raw transcripts")
            for firm_id in self.firm_ids
            if firm_id not in seen
        ]

    def _close(self, finished: bool) -> None:
        """The shard's failures, then its progress: complete only when every firm was tried."""
        summary, progress = self.summary, self.progress
        summary.parts = list(progress.parts)
        summary.failures_uri = write_failures(
            self.store,
            layout.shard_failures_key(summary.quarter, summary.run_id, summary.shard),
            summary.failures,
            quarter=summary.quarter,
            run_id=summary.run_id,
            shard=summary.shard,
        )
        progress.complete = finished
        for name, value in (
            ("topics", summary.topics),
            ("documents", summary.documents),
            ("llm_requests", int(summary.llm.get("requests", 0))),
        ):
            progress.counts[name] = progress.counts.get(name, 0) + value
        progress.counts["firms_done"] = len(progress.firms_done)
        progress.counts["firms_failed"] = len(summary.failures)
        for name, seconds in summary.stage_seconds.items():
            progress.seconds[name] = progress.seconds.get(name, 0.0) + seconds
        progress.llm = summary.llm or progress.llm
        progress.save(self.store)

    async def _process(self, firms: list[FirmDocuments]) -> None:
        summary = self.summary
        progress = Progress(f"map {summary.quarter} shard {summary.shard} firms", len(firms), log)
        async with LlmClient(self.settings.llm_config()) as client:
            # The name checks embed every answer. Loading the model at the first answer blocked
            # the event loop, and so every other request, for ~17 s in a smoke run while the
            # local server held the CPUs; loaded now, it is ready before the first answer.
            await asyncio.gather(client.ensure_ready(), asyncio.to_thread(embed, ["warm up"]))
            # Largest first: the last firm to finish is a small one, so workers end together.
            ordered = sorted(firms, key=lambda firm: -len(firm.texts))
            tasks = [asyncio.create_task(self._firm(firm, client)) for firm in ordered]
            try:
                for finished in asyncio.as_completed(tasks):
                    firm_id, ok = await finished
                    progress.advance(note=f"{firm_id} {'done' if ok else 'FAILED'}")
                    if len(self.buffered_firms) >= self.settings.checkpoint_interval:
                        self._flush()
            finally:
                for task in tasks:
                    task.cancel()
                summary.llm = client.stats.as_dict()
                summary.stage_seconds["naming"] = self.naming_clock.seconds

    async def _firm(self, firm: FirmDocuments, client: LlmClient) -> tuple[str, bool]:
        seconds = self.summary.stage_seconds
        try:
            async with self.pool.lend() as worker:
                work = await worker.firm_topics.remote(firm.texts, firm.speakers, self.words)
        except ray.exceptions.RayTaskError as error:
            return self._fail(firm, "topics", error.cause if error.cause is not None else error)
        if self.settings.naming_waits_for_topics:
            await self.pool.all_topics()
        topics = work.topics
        seconds["embed"] = seconds.get("embed", 0.0) + work.embed_s
        seconds["topics"] = seconds.get("topics", 0.0) + work.topics_s
        self.summary.firm_costs.append(
            FirmCost(
                firm.firm_id, len(firm.texts), work.embed_s, work.topics_s, work.worker, work.nth
            )
        )
        self.summary.documents += len(firm.texts)
        # A name must fit its own topic better than the firm's other topics (procedure too).
        gate = NameGate(embed, np.stack([t.centroid for t in topics])) if topics else None
        try:
            with self.naming_clock():
                namings = await asyncio.gather(
                    *(
                        name_topic(
                            client,
                            topic,
                            self.settings,
                            fit=gate.item(own) if gate else None,
                            keyword_fallback=self.keyword_fallback,
                        )
                        for own, topic in enumerate(topics)
                    )
                )
        except LlmConfigurationError:
            raise
        except LlmError as error:
            return self._fail(firm, "naming", error, attempts=self.settings.llm_max_attempts)
        self.buffer += topic_rows(
            firm, self.summary.quarter, topics, namings, self.settings.llm_model
        )
        self.sentence_buffer += sentence_rows(firm, self.summary.quarter, topics)
        self.buffered_firms.append(firm.firm_id)
        self.summary.topics += sum(topic.topic_id != PROCEDURE_TOPIC_ID for topic in topics)
        self.summary.procedural += sum(
            topic.n_docs for topic in topics if topic.topic_id == PROCEDURE_TOPIC_ID
        )
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
        """Write the buffered firms as one part (their sentences' part first), then the
        progress that lists it: until then both are orphans, removed by the next attempt."""
        if not self.buffered_firms:
            return
        if self.lease is not None and self.lease.lost:
            raise LeaseLostError(
                f"{self.lease.what}: another mapper took the shard over; its last "
                f"{len(self.buffered_firms)} firm(s) here are not written"
            )
        progress = self.progress
        sentences = pa.Table.from_pylist(self.sentence_buffer, schema=schemas.SENTENCE_TOPICS)
        self.store.write_parquet(progress.sentence_part_key(len(progress.parts)), sentences)
        key = progress.next_part_key()
        self.store.write_parquet(key, pa.Table.from_pylist(self.buffer, schema=schemas.FIRM_TOPICS))
        progress.parts.append(key)
        progress.firms_done += self.buffered_firms
        progress.save(self.store)
        log.info("checkpoint: %d firm(s) in %s", len(self.buffered_firms), self.store.uri(key))
        self.buffer, self.sentence_buffer, self.buffered_firms = [], [], []
