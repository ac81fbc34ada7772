"""Find LoRA adapters in the bucket: `models/{prefix}/{timestamp}/`, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from ftm_shared import layout
from ftm_shared.storage import ObjectStore


@dataclass(frozen=True)
class AdapterVersion:
    timestamp: str
    files: tuple[str, ...]


def list_adapters(store: ObjectStore, prefix: str) -> list[AdapterVersion]:
    root = layout.models_prefix(prefix)
    by_timestamp: dict[str, list[str]] = {}
    for key in store.list_keys(root):
        timestamp, _, name = key[len(root) :].partition("/")
        if name:
            by_timestamp.setdefault(timestamp, []).append(name)
    # Timestamps are written as YYYYMMDD-HHMMSS, so text order is time order.
    return [
        AdapterVersion(timestamp, tuple(sorted(files)))
        for timestamp, files in sorted(by_timestamp.items(), reverse=True)
    ]
