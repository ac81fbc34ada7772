"""`ftm data fetch` for one data set: download the source at its pinned commit (or take a local
checkout), normalise it, check the counts against the whole public release, then write."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ftm_ops.datasets import arrow, git
from ftm_ops.datasets.source import Dataset, DatasetError, Source


@dataclass(frozen=True)
class Fetched:
    name: str
    counts: dict[str, int]
    files: list[Path]
    described: list[str]


def verify(source: Source, measured: dict[str, int]) -> None:
    wrong = [
        f"{what} {measured.get(what, 0):,} (expected {expected:,})"
        for what, expected in source.expected.items()
        if measured.get(what) != expected
    ]
    if wrong:
        raise DatasetError(
            f"{source.name}: the normalised data does not match the public release at commit "
            f"{source.commit}: {'; '.join(wrong)}. Nothing was written. The checkout is not that "
            "commit's data, or the normaliser misread it."
        )


def fetch(dataset: Dataset, target: Path, local_checkout: Path | None = None) -> Fetched:
    source = dataset.source
    with tempfile.TemporaryDirectory(prefix=f"ftm-data-{source.name}-") as work:
        if local_checkout is None:
            checkout = git.checkout(source, git.repository_url(source), Path(work) / "repo")
        else:
            checkout = local_checkout
        tables = dataset.normalise(checkout)
    measured = dataset.counts(tables)
    verify(source, measured)
    files = []
    for relative, table in tables.items():
        arrow.write(table, target / relative)
        files.append(target / relative)
    return Fetched(source.name, measured, files, dataset.describe(tables))
