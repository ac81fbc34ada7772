"""Ray actors that hold the embedding model and turn a firm's sentences into topics."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import ray

from map_worker.config import TopicTuning
from map_worker.topics import Topic

WARM_UP_TEXTS = ["Revenue grew twelve percent on strong demand for our products."] * 8


@ray.remote
class TopicWorker:
    """One per CPU slot: loads MiniLM once, embeds its share of the firms in one pass, then
    clusters firm after firm."""

    def __init__(self, batch_size: int, seed: int, threads: int, tuning: TopicTuning) -> None:
        import torch

        from map_worker.embed import embed, load_model

        torch.set_num_threads(max(1, threads))  # one slot, one core: no oversubscription
        load_model()
        # The first encode pays one-off set-up costs: pay them here, not in the embedding stage.
        embed(WARM_UP_TEXTS, batch_size)
        self.batch_size, self.seed, self.tuning = batch_size, seed, tuning

    def ready(self) -> bool:
        return True

    def embed(self, firms_texts: list[list[str]]) -> np.ndarray | tuple[np.ndarray, ...]:
        """One array per firm (a bare array for one firm: Ray's `num_returns=1` convention).

        One encode call over every firm's sentences: it sorts them by length across firms, so
        batches carry less padding than firm-by-firm calls, and it runs while the LLM is idle.
        """
        from map_worker.embed import embed

        vectors = embed([text for texts in firms_texts for text in texts], self.batch_size)
        ends = np.cumsum([len(texts) for texts in firms_texts])[:-1]
        parts = tuple(np.split(vectors, ends))
        return parts[0] if len(parts) == 1 else parts

    def topics(self, texts: list[str], vectors: np.ndarray) -> tuple[list[Topic], float]:
        """The firm's topics and the seconds they took."""
        from map_worker.topics import firm_topics

        started = time.perf_counter()
        topics = firm_topics(texts, vectors, self.tuning, seed=self.seed)
        return topics, time.perf_counter() - started


def shares(sizes: list[int], workers: int) -> list[list[int]]:
    """Indices of `sizes` dealt to `workers` so that their totals are close (largest first);
    a worker gets none when there are fewer sizes than workers."""
    loads = [0] * workers
    dealt: list[list[int]] = [[] for _ in range(workers)]
    for index in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        lightest = loads.index(min(loads))
        dealt[lightest].append(index)
        loads[lightest] += sizes[index]
    return [sorted(share) for share in dealt]


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
