from __future__ import annotations

from ftm_shared.config import FtmSettings


class ReduceWorkerSettings(FtmSettings):
    """reduce-worker's settings; the reduce issue adds the clustering and LLM knobs."""
