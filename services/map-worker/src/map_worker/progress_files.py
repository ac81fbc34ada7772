"""The failures manifests: a shard's (`layout.shard_failures_key`) and the quarter's
(`layout.run_failures_key`, every shard's in one list, written by `collect`).

A firm that fails is an entry here, not a failed run; `ftm_shared.pipeline.FailurePolicy`
decides, from the quarter's list, whether the quarter goes on to reduce. Each entry says its
kind: `input` (the firm's own data: final for the run) or `infrastructure` (the LLM or S3 was
unavailable: a plain re-run of the same run tries the firm again).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError

from ftm_shared.llm.errors import LlmServerError, LlmUnavailableError
from ftm_shared.storage import ObjectNotFoundError, ObjectStore

INPUT = "input"
INFRASTRUCTURE = "infrastructure"
# What failed around the firm, not in it: the same firm may well succeed on the next attempt.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    LlmUnavailableError,
    LlmServerError,
    BotoCoreError,
    ConnectionError,
    TimeoutError,
)


@dataclass(frozen=True)
class Failure:
    stage: str
    error_type: str
    message: str
    attempts: int = 1
    firm_id: str | None = None
    object_key: str | None = None
    kind: str = INPUT

    @property
    def final(self) -> bool:
        """A re-run of the run does not try this firm again."""
        return self.kind != INFRASTRUCTURE

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
        kind = INFRASTRUCTURE if isinstance(error, INFRASTRUCTURE_ERRORS) else INPUT
        return cls(stage, type(error).__name__, str(error), attempts, firm_id, object_key, kind)


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


def standing_failures(earlier: list[Failure], problems: list[Failure]) -> list[Failure]:
    """What of an earlier attempt's failures a new attempt keeps: the final ones, less those
    found again by reading the input (`problems`, and every `read`-stage failure, are found
    anew by each attempt)."""
    found_again = {problem.firm_id for problem in problems}
    return [
        failure
        for failure in earlier
        if failure.final and failure.stage != "read" and failure.firm_id not in found_again
    ]
