"""Merge an adapter into its base model and save the result as safetensors, ready to serve."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftm_shared.storage import ObjectStore
from model_tester.adapters import find_adapter
from model_tester.config import ModelTesterSettings
from model_tester.workflows import base_and_adapter


def export_merged(peft_model: Any, tokenizer: Any, output: Path) -> float:
    """Save base + adapter as one plain model in `output`; returns the seconds it took."""
    started = time.perf_counter()
    merged = peft_model.merge_and_unload()
    output.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(output), safe_serialization=True)
    tokenizer.save_pretrained(str(output))
    return time.perf_counter() - started


@dataclass(frozen=True)
class Export:
    base_model: str
    timestamp: str
    output: Path
    seconds: float
    size_bytes: int


def export_adapter(
    settings: ModelTesterSettings, store: ObjectStore, timestamp: str | None, output: Path
) -> Export:
    """`export`: the adapter at `timestamp` (default: the newest) merged into the base model."""
    version = find_adapter(store, settings.s3_prefix, timestamp)
    with base_and_adapter(settings, store, version.timestamp) as tested:
        seconds = export_merged(tested.model, tested.loaded.tokenizer, output)
    size = sum(path.stat().st_size for path in output.rglob("*") if path.is_file())
    return Export(settings.base_model, version.timestamp, output, seconds, size)
