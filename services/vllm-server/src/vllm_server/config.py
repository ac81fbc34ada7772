from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_shared.config import setting_name


class VllmServerSettings(BaseSettings):
    """The serving knobs, from env with the `FTM_VLLM_` prefix (e.g. `FTM_VLLM_SERVED_MODEL`).

    Not `VLLM_`: vLLM reads every `VLLM_*` variable as its own (`VLLM_PORT` is its internal
    port, not the API server's), so a setting of ours under that prefix would change vLLM.
    """

    model_config = SettingsConfigDict(env_prefix="FTM_VLLM_", extra="ignore")

    served_model: str = Field("Qwen/Qwen3-8B", description="Model name clients ask for")
    model_path: str | None = Field(
        None,
        description="Local folder with the weights; on ECS the host's model folder mounted in "
        "the task (/models/<slug>), so synced weights outlive a task restart",
    )
    model_s3_uri: str | None = Field(
        None,
        description="s3://bucket/prefix/ synced into model_path before serving (files already "
        "there, complete and unchanged, are not downloaded again)",
        pattern=r"^s3://[^/]+(/.*)?$",
    )
    max_model_len: int = Field(8192, ge=256, description="Context length")
    gpu_memory_utilization: float = Field(0.90, gt=0, le=1, description="GPU memory share")
    enable_lora: bool = Field(False, description="Serve LoRA adapters")
    max_lora_rank: int = Field(16, ge=1, le=512, description="Largest LoRA rank accepted")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port of the OpenAI API")
    host: str = Field("0.0.0.0", description="Bind address inside the container")  # noqa: S104

    @model_validator(mode="after")
    def _s3_needs_a_local_folder(self) -> VllmServerSettings:
        if self.model_s3_uri and not self.model_path:
            path, uri = (setting_name(type(self), f) for f in ("model_path", "model_s3_uri"))
            raise ValueError(f"{path} is needed to sync {uri}: the folder the weights go to")
        return self

    def serve_args(self) -> list[str]:
        args = [
            "vllm",
            "serve",
            self.model_path or self.served_model,
            "--served-model-name",
            self.served_model,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--max-model-len",
            str(self.max_model_len),
            "--gpu-memory-utilization",
            f"{self.gpu_memory_utilization:g}",
        ]
        if self.enable_lora:
            args += ["--enable-lora", "--max-lora-rank", str(self.max_lora_rank)]
        return args
