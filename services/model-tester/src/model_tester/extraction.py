"""Batched greedy generation: prompts in, raw answers out, with per-batch latency and tokens."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ftm_shared.progress import Progress
from model_tester.base_model import LoadedModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Generation:
    answer: str
    new_tokens: int
    # Wall time of the batch this answer came from, shared by its members.
    batch_seconds: float
    batch_size: int


def _generate_batch(
    loaded: LoadedModel, model: Any, prompts: Sequence[str], max_new_tokens: int, fixed: bool
) -> list[Generation]:
    import torch

    tokenizer = loaded.tokenizer
    # The prompts carry their own turn markers; the tokenizer adds only BOS where it has one.
    inputs = tokenizer(list(prompts), return_tensors="pt", padding=True).to(loaded.device)
    started = time.perf_counter()
    with torch.inference_mode():
        output = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            # Fixed-length answers make batch sizes comparable in a benchmark.
            min_new_tokens=max_new_tokens if fixed else None,
            do_sample=False,
            eos_token_id=loaded.stop_token_ids,
            pad_token_id=tokenizer.pad_token_id,
        )
    seconds = time.perf_counter() - started
    new = output[:, inputs["input_ids"].shape[1] :]
    results = []
    for row in new:
        stops = [i for i, token in enumerate(row.tolist()) if token in loaded.stop_token_ids]
        answer_end = stops[0] if stops else len(row)
        text = tokenizer.decode(row[:answer_end], skip_special_tokens=False)
        generated = answer_end + 1 if stops else answer_end
        results.append(Generation(text, generated, seconds, len(prompts)))
    return results


def generate(
    loaded: LoadedModel,
    prompts: Sequence[str],
    *,
    model: Any | None = None,
    batch_size: int = 8,
    max_new_tokens: int = 160,
    progress_label: str | None = None,
    fixed_length: bool = False,
) -> list[Generation]:
    """Answers in prompt order; `model` (e.g. base + adapter) defaults to the base model."""
    model = model if model is not None else loaded.model
    progress = Progress(progress_label, len(prompts), log) if progress_label else None
    results: list[Generation] = []
    for first in range(0, len(prompts), batch_size):
        batch = prompts[first : first + batch_size]
        results.extend(_generate_batch(loaded, model, batch, max_new_tokens, fixed_length))
        if progress:
            progress.advance(len(batch))
    return results
