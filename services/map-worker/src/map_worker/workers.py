"""Ray actors that hold the embedding model and turn a firm's sentences into topics."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import ray

from map_worker.config import TopicTuning
from map_worker.keywords import QuarterWords
from map_worker.topics import Topic, firm_topics

WARM_UP_TEXTS = ["Revenue grew twelve percent on strong demand for our products."] * 8
# Enough sentences for UMAP's spectral start, the path most firms take.
WARM_UP_TOPIC_SENTENCES = 80


@dataclass(frozen=True)
class FirmWork:
    """One firm's topics and what they cost the worker that found them."""

    topics: list[Topic]
    embed_s: float
    topics_s: float
    worker: int
    """The worker's process id."""
    nth: int
    """1 for the worker's first firm: start-up costs it missed would show there."""
    threads: int
    """The torch threads the embedding ran on."""


def warm_up_topics(tuning: TopicTuning, dimensions: int, seed: int) -> None:
    """Fit topics once on made-up vectors. numba compiles UMAP's code on a process's first fit
    (about 20 s a worker here, and its cache barely helps): paid at start-up, it is not charged
    to the worker's first firm, and per-firm rates measure the steady state."""
    vectors = np.random.default_rng(seed).normal(size=(WARM_UP_TOPIC_SENTENCES, dimensions))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"{WARM_UP_TEXTS[0]} ({i % 7})" for i in range(WARM_UP_TOPIC_SENTENCES)]
    firm_topics(texts, vectors.astype(np.float32), tuning, seed)


@ray.remote
class TopicWorker:
    """One per CPU slot: loads MiniLM once, then embeds and clusters firm after firm."""

    def __init__(self, batch_size: int, seed: int, threads: int, tuning: TopicTuning) -> None:
        started = time.perf_counter()
        import torch

        from ftm_shared.embedding import embed, load_model

        self.threads = max(1, threads)
        torch.set_num_threads(self.threads)  # one slot, one core: no oversubscription
        load_model()
        # The first encode pays one-off set-up costs: pay them here, not in the embedding stage.
        embed(WARM_UP_TEXTS, batch_size)
        from map_worker.procedure import PROTOTYPES

        self.prototypes = embed(list(PROTOTYPES), batch_size)
        warm_up_topics(tuning, self.prototypes.shape[1], seed)
        self.batch_size, self.seed, self.tuning = batch_size, seed, tuning
        self.firms = 0
        self.startup_s = time.perf_counter() - started

    def ready(self) -> float:
        """The seconds this worker took to start: model load, first encode, first fit."""
        return self.startup_s

    def firm_topics(
        self,
        texts: list[str],
        speakers: list[str | None] | None = None,
        quarter: QuarterWords | None = None,
    ) -> FirmWork:
        """One firm's topics (its call procedure last, as topic -1), and the seconds its
        embedding and its clustering took. `quarter`: the quarter's word counts, for keywords.

        Firm by firm, so the first firm's topics can go to the LLM while the next is embedded
        (unless NAMING_WAITS_FOR_TOPICS holds naming back for an LLM on these CPUs).
        """
        import torch

        from ftm_shared.embedding import embed
        from map_worker.topics import call_topics

        # numba's first parallel fit sets OpenMP's thread count to every CPU, and torch follows
        # it: two workers on 2 cores then embedded at 4 threads, 32 sentences/s each instead of
        # 97 (docs/benchmarks.md). Pinned again before every firm's embedding.
        torch.set_num_threads(self.threads)
        started = time.perf_counter()
        vectors = embed(texts, self.batch_size)
        embedded = time.perf_counter()
        topics = call_topics(
            texts,
            speakers or [],
            vectors,
            self.tuning,
            prototypes=self.prototypes,
            quarter=quarter,
            seed=self.seed,
        )
        self.firms += 1
        return FirmWork(
            topics,
            embedded - started,
            time.perf_counter() - embedded,
            os.getpid(),
            self.firms,
            torch.get_num_threads(),
        )


# Ray puts its sockets under its temp dir, and AF_UNIX paths stop at 107 bytes: a deep TMPDIR
# (nox gives each session one) makes a local start fail.
MAX_RAY_TMPDIR_CHARS = 40


def ray_temp_dir(temp_dir: str, virtualenv: str) -> str | None:
    """A replacement for `temp_dir` if Ray cannot run its local node there, else None.

    Besides the socket-path limit, Ray's workers refuse (and die at start, leaving the driver
    waiting) a temp dir inside the virtualenv, which is where nox puts each session's TMPDIR.
    """
    inside_venv = Path(virtualenv).resolve() in Path(temp_dir).resolve().parents
    if len(temp_dir) > MAX_RAY_TMPDIR_CHARS or inside_venv:
        return "/tmp"  # noqa: S108 (the system's short default)
    return None


def ray_logs() -> Path:
    """The local Ray node's log folder (where a worker that died at start says why)."""
    temp_dir = os.environ.get("RAY_TMPDIR") or tempfile.gettempdir()
    return Path(temp_dir) / "ray" / "session_latest" / "logs"


def start_ray(address: str | None) -> dict[str, Any]:
    """Join `address` (RAY_ADDRESS) or start a Ray node of our own; return its resources."""
    replacement = ray_temp_dir(tempfile.gettempdir(), sys.prefix)
    if replacement:
        os.environ.setdefault("RAY_TMPDIR", replacement)
    if not ray.is_initialized():
        ray.init(
            # "local" never attaches to a cluster someone else started with `ray start`.
            address=address or "local",
            include_dashboard=False,
            ignore_reinit_error=True,
            logging_level=logging.WARNING,
            log_to_driver=True,
        )
    return dict(ray.cluster_resources())  # type: ignore[no-untyped-call]
