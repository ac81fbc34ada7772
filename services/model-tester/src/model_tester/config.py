from __future__ import annotations

from pydantic import Field

from ftm_shared.config import FtmSettings


class ModelTesterSettings(FtmSettings):
    s3_prefix: str = Field(
        "medical-extraction",
        description="Model family under models/ in the bucket (S3_PREFIX)",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    )
