"""What the bucket already holds of a quarter: calls under another source name are refused
(ingested twice, a call's paragraphs would be counted twice by every later stage); the same
source name is replaced, and what that replaces is said."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ftm_ops.ingest.source import IngestError, preview
from ftm_shared import layout
from ftm_shared.storage import ObjectNotFoundError, ObjectStore


def refuse_calls_elsewhere(
    store: ObjectStore, quarter: str, key: str, source: Path, call_ids: Iterable[str]
) -> None:
    """`key` itself (the same source name ingested again) is replaced, so it does not count."""
    ours = set(call_ids)
    for other in store.list_keys(layout.raw_transcripts_prefix(quarter)):
        if other == key or not other.endswith(".parquet"):
            continue
        shared = sorted(ours & set(store.read_parquet(other).column("call_id").to_pylist()))
        if shared:
            raise IngestError(
                f"{source}: column 'call_id': call(s) {preview(shared)} are already in "
                f"{store.uri(other)} for {quarter}, from a source named {Path(other).stem!r}; "
                "ingest them under that name to replace it, or remove that object first"
            )


@dataclass(frozen=True)
class Replaced:
    n_calls: int
    """Calls the object held before."""
    gone: tuple[str, ...]
    """Those of them the new source does not hold: replacing the object loses them."""


def calls_replaced(store: ObjectStore, key: str, call_ids: Iterable[str]) -> Replaced | None:
    """What writing `key` replaces; None where nothing is there yet."""
    try:
        before = set(store.read_parquet(key).column("call_id").to_pylist())
    except ObjectNotFoundError:
        return None
    return Replaced(len(before), tuple(sorted(before - set(call_ids))))
