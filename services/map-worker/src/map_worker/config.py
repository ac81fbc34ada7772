from __future__ import annotations

from pydantic import Field

from ftm_shared.config import FtmSettings
from ftm_shared.llm import LlmSettings
from ftm_shared.pipeline import PipelineSettings


class MapWorkerSettings(LlmSettings, FtmSettings, PipelineSettings):
    """map-worker's settings: the common ones, the LLM's, and these."""

    checkpoint_interval: int = Field(
        50, ge=1, description="Finished firms per Parquet part and checkpoint (CHECKPOINT_INTERVAL)"
    )
    ray_address: str | None = Field(
        None, description="Join this Ray cluster (RAY_ADDRESS); unset starts Ray locally"
    )
    ray_workers: int | None = Field(
        None, ge=1, description="Topic workers (actors); default: one per CPU Ray sees"
    )
    ray_cpus_per_worker: float = Field(1.0, gt=0, description="CPUs each topic worker reserves")
    ray_startup_timeout_s: float = Field(
        300.0, gt=0, description="Give up when the topic workers have not started by then"
    )
    embedding_batch_size: int = Field(64, ge=1, le=4096, description="Sentences per embed batch")
    topic_seed: int = Field(42, description="Seed of UMAP and sampling, for reproducible topics")
