"""The failures manifests: a shard's (`layout.shard_failures_key`) and the quarter's
(`layout.run_failures_key`, every shard's in one list, written by `collect`).

A firm that fails is an entry here, not a failed run; `ftm_shared.pipeline.FailurePolicy`
decides, from the quarter's list, whether the quarter goes on to reduce.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from ftm_shared.storage import ObjectNotFoundError, ObjectStore


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


def write_failures(store: ObjectStore, key: str, failures: list[Failure], **header: Any) -> str:
    """A failures manifest: `header` (quarter, run, shard, ...) and one entry per failure."""
    payload: dict[str, Any] = {
        **header,
        "written_at": time.time(),
        "failures": [asdict(failure) for failure in failures],
    }
    store.write_json(key, payload)
    return store.uri(key)


def read_failures(store: ObjectStore, key: str) -> list[Failure]:
    """The entries of a failures manifest; none where it was never written."""
    try:
        payload = store.read_json(key)
    except ObjectNotFoundError:
        return []
    return [Failure(**entry) for entry in payload["failures"]]
