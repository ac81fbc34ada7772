"""Ray actors that hold the embedding model and turn a firm's sentences into topics."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from typing import Any

import ray

from map_worker.topics import Topic


@ray.remote
class TopicWorker:
    """One per CPU slot: loads MiniLM once, then embeds and clusters firm after firm."""

    def __init__(self, batch_size: int, seed: int, threads: int) -> None:
        import torch

        from map_worker.embed import load_model

        torch.set_num_threads(max(1, threads))  # one slot, one core: no oversubscription
        load_model()
        self.batch_size, self.seed = batch_size, seed

    def topics(self, texts: list[str]) -> tuple[list[Topic], dict[str, float]]:
        from map_worker.embed import embed
        from map_worker.topics import firm_topics

        started = time.perf_counter()
        vectors = embed(texts, batch_size=self.batch_size)
        embedded = time.perf_counter()
        topics = firm_topics(texts, vectors, seed=self.seed)
        return topics, {"embed": embedded - started, "topics": time.perf_counter() - embedded}


# Ray puts its sockets under its temp dir, and AF_UNIX paths stop at 107 bytes: a deep TMPDIR
# (nox gives each session one) makes a local start fail, so such a TMPDIR is not used for Ray.
MAX_RAY_TMPDIR_CHARS = 40


def start_ray(address: str | None) -> dict[str, Any]:
    """Join `address` (RAY_ADDRESS) or start Ray on this machine; return its resources."""
    if len(tempfile.gettempdir()) > MAX_RAY_TMPDIR_CHARS:
        os.environ.setdefault("RAY_TMPDIR", "/tmp")  # noqa: S108 (the system's short default)
    if not ray.is_initialized():
        ray.init(
            address=address or None,
            include_dashboard=False,
            ignore_reinit_error=True,
            logging_level=logging.WARNING,
            log_to_driver=True,
        )
    return dict(ray.cluster_resources())  # type: ignore[no-untyped-call]
