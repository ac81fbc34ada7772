"""Merge an adapter into its base model and save the result as safetensors, ready to serve."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def export_merged(peft_model: Any, tokenizer: Any, output: Path) -> float:
    """Save base + adapter as one plain model in `output`; returns the seconds it took."""
    started = time.perf_counter()
    merged = peft_model.merge_and_unload()
    output.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(output), safe_serialization=True)
    tokenizer.save_pretrained(str(output))
    return time.perf_counter() - started
