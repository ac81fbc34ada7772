"""What every data set declares: where it comes from (repository, pinned commit, paths), its
licence and citation, the files it becomes, and the counts those files must have."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

Tables = dict[str, pa.Table]
"""Normalised tables by their path under the data folder, e.g. `medical/bc5cdr.parquet`."""


class DatasetError(RuntimeError):
    """A source could not be downloaded or read, or its files are not what was expected."""


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    repository: str
    """`owner/name` on GitHub."""
    commit: str
    paths: tuple[str, ...]
    """What to check out (git sparse-checkout patterns): only these are downloaded."""
    outputs: tuple[str, ...]
    """The normalised files, by their path under the data folder; a pattern
    (`maec_*_sentences.parquet`) stands for every file the source's builds may write."""
    licence: str
    licence_url: str
    citation: str
    changes: str
    """What the normalisation changed, as CC BY-SA's attribution asks."""
    expected: Mapping[str, int]
    """Counts over the whole public release, checked before anything is written."""
    licence_text: str | None = None
    """A licence or notice to reproduce verbatim beside the files (BSD's condition 2)."""


def _nothing_to_add(_tables: Tables) -> list[str]:
    return []


@dataclass(frozen=True)
class Dataset:
    source: Source
    normalise: Callable[[Path], Tables]
    """Reads a checkout of the source and returns its normalised tables."""
    counts: Callable[[Tables], dict[str, int]]
    """The counts `Source.expected` names (and any others worth saying), measured on
    normalised tables."""
    describe: Callable[[Tables], list[str]] = _nothing_to_add
    """Lines that say what a build holds beyond its counts (MAEC: calls per quarter)."""


def read_text(path: Path) -> str:
    """A source file's text; a missing file or a Git LFS pointer is a `DatasetError`."""
    if not path.is_file():
        raise DatasetError(f"{path} is missing from the checkout")
    text = path.read_text(encoding="utf-8")
    if text.startswith("version https://git-lfs.github.com/spec/"):
        raise DatasetError(f"{path} is a Git LFS pointer, not the data (wrong commit?)")
    return text
