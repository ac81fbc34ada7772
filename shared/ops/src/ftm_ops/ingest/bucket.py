"""Refuse calls the quarter already holds under another source name: ingested twice, a call's
paragraphs would be counted twice by every later stage."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ftm_ops.ingest.source import IngestError, preview
from ftm_shared import layout
from ftm_shared.storage import ObjectStore


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
