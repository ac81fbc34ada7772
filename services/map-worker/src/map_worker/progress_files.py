"""The checkpoint and failures manifests under `progress/{q}/` (keys: `ftm_shared.layout`).

A part is written before the checkpoint that lists it, so a part the checkpoint does not list
was left by a killed run: resuming deletes it, and its firms are done again. Hence the output
never holds a firm twice.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ftm_shared import layout
from ftm_shared.storage import ObjectNotFoundError, ObjectStore


@dataclass
class Checkpoint:
    quarter: str
    batch_id: str
    firms_done: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    updated_at: float = 0.0

    @classmethod
    def load(cls, store: ObjectStore, quarter: str, batch_id: str) -> Checkpoint:
        try:
            payload = store.read_json(layout.checkpoint_key(quarter, batch_id))
        except ObjectNotFoundError:
            return cls(quarter, batch_id)
        return cls(**payload)

    def save(self, store: ObjectStore) -> None:
        self.updated_at = time.time()
        store.write_json(layout.checkpoint_key(self.quarter, self.batch_id), asdict(self))

    def next_part_key(self) -> str:
        return layout.firm_topics_part_key(self.quarter, self.batch_id, len(self.parts))

    def remove_orphan_parts(self, store: ObjectStore) -> list[str]:
        own = layout.firm_topics_part_key(self.quarter, self.batch_id, 0).rsplit("-", 1)[0]
        orphans = [
            key
            for key in store.parquet_keys(layout.firm_topics_prefix(self.quarter))
            if key.startswith(own) and key not in self.parts
        ]
        for key in orphans:
            store.delete(key)
        return orphans


@dataclass(frozen=True)
class Failure:
    stage: str
    error_type: str
    message: str
    attempts: int = 1
    firm_id: str | None = None
    object_key: str | None = None

    @classmethod
    def of(
        cls,
        stage: str,
        error: BaseException,
        *,
        attempts: int = 1,
        firm_id: str | None = None,
        object_key: str | None = None,
    ) -> Failure:
        """The failures-file entry for `error`, met at `stage` by a firm or an object."""
        return cls(stage, type(error).__name__, str(error), attempts, firm_id, object_key)


def write_failures(store: ObjectStore, quarter: str, batch_id: str, failures: list[Failure]) -> str:
    key = layout.failures_key(quarter, batch_id)
    payload: dict[str, Any] = {
        "quarter": quarter,
        "batch_id": batch_id,
        "written_at": time.time(),
        "failures": [asdict(failure) for failure in failures],
    }
    store.write_json(key, payload)
    return store.uri(key)
