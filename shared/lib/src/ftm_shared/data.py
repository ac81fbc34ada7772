"""Where the data sets live, first found wins:

1. `FTM_DATA_DIR` (must be a folder);
2. `../shared/data` beside the project (the full sets, on the team's machines);
3. `FTM_CACHE_DIR/data`, where `ftm data fetch` builds the full sets from the public sources;
4. the sample committed in the repository (`shared/sample-data`): a slice of the same files,
   enough for `make smoke` and the tests. Using it is logged once, so a run says so.

Every folder has the same layout: `earnings_calls/*.parquet` and `medical/*.parquet`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ftm_shared.config import local_paths

log = logging.getLogger(__name__)

SAMPLE_DIR = Path("shared") / "sample-data"
FETCHED_SUBDIR = "data"
# A folder counts as a data folder when it holds this subfolder.
MARKER = "earnings_calls"

SOURCES_HELP = """\
Get the full data sets with `ftm data fetch` (it clones the public repositories at the pinned
commits and builds the Parquet files into FTM_CACHE_DIR/data, or `--to DIR`), or point
FTM_DATA_DIR at a folder laid out as earnings_calls/*.parquet and medical/*.parquet.
MAEC over 2015-2018 (maec_2015_2018_sentences.parquet, the panel's data) is
`ftm data fetch maec --from 2015Q1 --to 2018Q4`. The sources and licences are listed in
docs/data.md."""


class DataNotFoundError(FileNotFoundError):
    pass


@dataclass(frozen=True)
class DataLocation:
    path: Path
    origin: str
    """How it was found: "FTM_DATA_DIR", "../shared/data", "ftm data fetch" or "bundled sample"."""

    @property
    def is_sample(self) -> bool:
        return self.origin == "bundled sample"

    def describe(self) -> str:
        if self.is_sample:
            return (
                f"the bundled sample {self.path} (a slice of the full sets; FTM_DATA_DIR is "
                "unset and no ../shared/data was found; `ftm data fetch` builds the full sets)"
            )
        return f"{self.path} ({self.origin})"


def _has_data(folder: Path) -> bool:
    return (folder / MARKER).is_dir()


def _shared_data() -> Path | None:
    # `../shared/data` seen from the project root, or from any folder inside the project.
    for parent in Path.cwd().resolve().parents:
        if _has_data(parent / "shared" / "data"):
            return parent / "shared" / "data"
    return None


def bundled_sample() -> Path | None:
    """The repository's sample: beside this library in a checkout, or under the working folder.

    Neither exists in a service image (images copy only `shared/lib/src`), so images never
    fall back to it silently."""
    here = Path(__file__).resolve().parents
    checkout_root = [here[4]] if len(here) > 4 else []  # shared/lib/src/ftm_shared/data.py
    working = Path.cwd().resolve()
    for root in (*checkout_root, working, *working.parents):
        if _has_data(root / SAMPLE_DIR):
            return root / SAMPLE_DIR
    return None


def data_location() -> DataLocation:
    paths = local_paths()
    if paths.ftm_data_dir is not None:
        if not paths.ftm_data_dir.is_dir():
            raise DataNotFoundError(
                f"FTM_DATA_DIR={paths.ftm_data_dir} is not a folder.\n{SOURCES_HELP}"
            )
        return DataLocation(paths.ftm_data_dir, "FTM_DATA_DIR")
    shared = _shared_data()
    if shared is not None:
        return DataLocation(shared, "../shared/data")
    fetched = paths.ftm_cache_dir / FETCHED_SUBDIR
    if _has_data(fetched):
        return DataLocation(fetched, "ftm data fetch")
    sample = bundled_sample()
    if sample is not None:
        _say_sample_once(sample)
        return DataLocation(sample, "bundled sample")
    raise DataNotFoundError(f"No data folder found (FTM_DATA_DIR is unset).\n{SOURCES_HELP}")


@cache
def _say_sample_once(sample: Path) -> None:
    log.warning("data: %s", DataLocation(sample, "bundled sample").describe())


def data_dir() -> Path:
    return data_location().path


def data_file(group: str, name: str) -> Path:
    """`<data folder>/<group>/<name>`, e.g. `data_file("medical", "bc5cdr.parquet")`."""
    location = data_location()
    path = location.path / group / name
    if not path.is_file():
        raise DataNotFoundError(f"{path} is missing (data from {location.origin}).\n{SOURCES_HELP}")
    return path


def earnings_call_file(name: str = "maec_2017h1_sentences.parquet") -> Path:
    return data_file("earnings_calls", name)
