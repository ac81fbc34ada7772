"""LLM settings (env `LLM_*`, or SSM `/ftm/llm_*`) and the plain config the client takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# How the request asks for schema-constrained decoding. vLLM, OpenAI and llama.cpp's server
# (local) take `json_schema`; llama-cpp-python's server wants the schema inside `json_object`.
ResponseFormatStyle = Literal["json_schema", "json_object"]


class LlmSettings(BaseSettings):
    """LLM settings; a service that calls the LLM mixes them into its own settings:
    `class MapWorkerSettings(LlmSettings, FtmSettings)` (then SSM can fill them too)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    llm_base_url: str = Field(
        description="OpenAI-compatible endpoint ending in /v1 (vLLM, or `ftm llm up` locally)",
        pattern=r"^https?://",
    )
    llm_model: str = Field(description="Model name the server serves (LLM_MODEL)", min_length=1)
    llm_api_key: str = Field("not-needed", description="Bearer token, if the server wants one")
    llm_max_concurrent: int = Field(10, ge=1, le=512, description="Requests in flight at most")
    llm_health_poll_s: float = Field(30.0, gt=0, description="Seconds between health polls")
    llm_recovery_timeout_s: float = Field(
        600.0, gt=0, description="How long to wait for an unhealthy server before giving up"
    )
    llm_request_timeout_s: float = Field(120.0, gt=0, description="Timeout of one request")
    llm_max_attempts: int = Field(
        3, ge=1, le=10, description="Tries per call when the output is cut off or off-schema"
    )
    llm_response_format: ResponseFormatStyle = Field(
        "json_schema",
        description="`json_schema` (vLLM, llama.cpp) or `json_object` (llama-cpp-python)",
    )

    llm_server_name: str = Field(
        "LLM server",
        min_length=1,
        description="How log lines name the server (LLM_SERVER_NAME), as operators search "
        "for it: the deployed jobs read `vLLM` from SSM",
    )

    def llm_config(self) -> LlmConfig:
        return LlmConfig(
            base_url=self.llm_base_url,
            model=self.llm_model,
            api_key=self.llm_api_key,
            max_concurrent=self.llm_max_concurrent,
            health_poll_s=self.llm_health_poll_s,
            recovery_timeout_s=self.llm_recovery_timeout_s,
            request_timeout_s=self.llm_request_timeout_s,
            max_attempts=self.llm_max_attempts,
            response_format=self.llm_response_format,
            server_name=self.llm_server_name,
        )


@dataclass(frozen=True)
class LlmConfig:
    base_url: str
    model: str
    api_key: str = "not-needed"
    max_concurrent: int = 10
    health_poll_s: float = 30.0
    recovery_timeout_s: float = 600.0
    request_timeout_s: float = 120.0
    max_attempts: int = 3
    response_format: ResponseFormatStyle = "json_schema"
    rate_limit_retries: int = 8
    server_name: str = "LLM server"
