"""model-tester's settings: the common ones plus the base model, generation and the remote box,
in one `ModelTesterSettings`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ftm_shared.config import FtmSettings
from ftm_shared.models import cache_dir

# The base model used when BASE_MODEL is unset: Gemma 3 270M from its PyPI GGUF packages.
EMBEDDED_BASE_MODEL = "embedded:gemma-3-270m"


class ModelTesterSettings(FtmSettings):
    """model-tester's settings: the common ones, the base model, generation, the remote box."""

    s3_prefix: str = Field(
        "medical-extraction",
        description="Model family under models/ in the bucket (S3_PREFIX)",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    )
    base_model: str = Field(
        EMBEDDED_BASE_MODEL,
        description="Base causal LM: a local folder, a model id already in the HF cache, or "
        f"{EMBEDDED_BASE_MODEL} (BASE_MODEL)",
        min_length=1,
    )
    model_device: str = Field(
        "auto", description="torch device; auto = cuda when present, else cpu (MODEL_DEVICE)"
    )
    batch_size: int = Field(8, ge=1, le=256, description="Texts per generate call (BATCH_SIZE)")
    max_new_tokens: int = Field(
        160, ge=8, le=4096, description="Generated tokens per answer (MAX_NEW_TOKENS)"
    )
    ftm_cache_dir: Path = Field(
        default_factory=cache_dir,
        description="Converted base models and trained demo adapters (FTM_CACHE_DIR); default "
        "~/.cache/ftm",
    )

    # The GPU box that `model-tester remote ...` drives from the operator's machine.
    remote_instance_id: str | None = Field(
        None, description="EC2 instance that runs the tester (REMOTE_INSTANCE_ID)"
    )
    remote_instance_tag: str | None = Field(
        None,
        description="Find the instance by tag instead, as Key=Value (REMOTE_INSTANCE_TAG)",
        pattern=r"^[^=]+=.+$",
    )
    remote_image: str | None = Field(
        None,
        description="The model-tester image the box runs, e.g. an ECR URI with tag "
        "(REMOTE_IMAGE; needed by every remote command)",
        min_length=1,
    )
    remote_docker_args: str = Field(
        "",
        description="Extra `docker run` arguments on the box, e.g. a model volume "
        "(REMOTE_DOCKER_ARGS)",
    )
    remote_poll_s: float = Field(5.0, gt=0, description="Seconds between SSM status polls")
    remote_timeout_s: float = Field(
        3600.0, gt=0, description="Give up on a remote command after this long"
    )
    remote_start_timeout_s: float = Field(
        600.0,
        gt=0,
        description="Wait this long for the box to run and then for its SSM agent to report "
        "Online (REMOTE_START_TIMEOUT_S)",
    )
