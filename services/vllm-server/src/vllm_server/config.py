from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class VllmServerSettings(BaseSettings):
    """The serving knobs, from env with the `VLLM_` prefix (e.g. `VLLM_SERVED_MODEL`)."""

    model_config = SettingsConfigDict(env_prefix="VLLM_", extra="ignore")

    served_model: str = Field("Qwen/Qwen3-8B", description="Model name clients ask for")
    model_path: str | None = Field(
        None, description="Local folder with the weights (synced from S3 or baked in the image)"
    )
    max_model_len: int = Field(8192, ge=256, description="Context length")
    gpu_memory_utilization: float = Field(0.90, gt=0, le=1, description="GPU memory share")
    enable_lora: bool = Field(False, description="Serve LoRA adapters")
    max_lora_rank: int = Field(16, ge=1, le=512, description="Largest LoRA rank accepted")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port")
    host: str = Field("0.0.0.0", description="Bind address inside the container")  # noqa: S104

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
