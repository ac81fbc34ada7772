"""Adapters in the bucket: `models/{prefix}/{timestamp}/`, newest first; download and upload."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ftm_shared import layout
from ftm_shared.storage import ObjectStore

log = logging.getLogger(__name__)

# Written beside the PEFT files: which base, task, labels and recipe produced the adapter.
METADATA_FILE = "ftm_adapter.json"
TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"


class UnknownTimestampError(LookupError):
    def __init__(self, timestamp: str, where: str, available: list[str]) -> None:
        listing = ", ".join(available[:20]) if available else "none"
        super().__init__(
            f"no adapter with timestamp {timestamp!r} under {where}; available (newest first): "
            f"{listing}"
        )


@dataclass(frozen=True)
class AdapterVersion:
    timestamp: str
    files: tuple[str, ...]


def new_timestamp() -> str:
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


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


def find_adapter(store: ObjectStore, prefix: str, timestamp: str | None) -> AdapterVersion:
    """The adapter at `timestamp`, or the newest when None; unknown ones list what exists."""
    versions = list_adapters(store, prefix)
    for version in versions:
        if timestamp is None or version.timestamp == timestamp:
            return version
    raise UnknownTimestampError(
        timestamp or "(newest)",
        store.uri(layout.models_prefix(prefix)),
        [v.timestamp for v in versions],
    )


@contextlib.contextmanager
def downloaded_adapter(
    store: ObjectStore, prefix: str, timestamp: str
) -> Iterator[tuple[AdapterVersion, Path]]:
    """The adapter's files in a temporary folder, removed on exit, also after an error."""
    version = find_adapter(store, prefix, timestamp)
    root = layout.model_prefix_for(prefix, version.timestamp)
    folder = Path(tempfile.mkdtemp(prefix=f"ftm-adapter-{version.timestamp}-"))
    try:
        for name in version.files:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(store.get_bytes(root + name))
        log.info("downloaded %d file(s) of %s to %s", len(version.files), store.uri(root), folder)
        yield version, folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def upload_adapter(store: ObjectStore, prefix: str, timestamp: str, folder: Path) -> list[str]:
    """Copy every file of `folder` to `models/{prefix}/{timestamp}/`; the metadata goes last,
    so a listed adapter with metadata is a complete one."""
    root = layout.model_prefix_for(prefix, timestamp)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.name == METADATA_FILE)
    keys = []
    for path in files:
        key = root + path.relative_to(folder).as_posix()
        store.put_bytes(key, path.read_bytes())
        keys.append(key)
    return keys
