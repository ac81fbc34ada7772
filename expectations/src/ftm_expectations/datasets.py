"""The four data sets the suites validate, read from the bucket the way the services write them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from ftm_shared import layout
from ftm_shared.storage import CorruptObjectError, ObjectNotFoundError, ObjectStore

# How a row is named in a failure message: "firm AAP topic 2", "theme_2017Q1_003".
_ID_WORDS = {"call_id": "call", "para_idx": "para", "firm_id": "firm", "topic_id": "topic"}


@dataclass(frozen=True)
class DataSet:
    name: str
    """Suite, asset and staged file name."""
    label: str
    id_columns: tuple[str, ...]
    _read: Callable[[ObjectStore, str], pa.Table]
    _where: Callable[[str], str]

    def location(self, store: ObjectStore, quarter: str) -> str:
        return store.uri(self._where(quarter))

    def load(self, store: ObjectStore, quarter: str) -> pd.DataFrame:
        """The data set as pandas; `MissingDataSetError` naming the object when unreadable."""
        try:
            table = self._read(store, quarter)
        except ObjectNotFoundError:
            raise MissingDataSetError(f"no object at {self.location(store, quarter)}") from None
        except CorruptObjectError as error:
            raise MissingDataSetError(str(error)) from None
        return table.to_pandas().reset_index(drop=True)

    def row_name(self, row: Mapping[str, Any]) -> str:
        parts = []
        for column in self.id_columns:
            value = row.get(column)
            word = _ID_WORDS.get(column)
            parts.append(f"{word} {value}" if word else str(value))
        return " ".join(parts)


class MissingDataSetError(LookupError):
    pass


def _prefix_reader(prefix: Callable[[str], str]) -> Callable[[ObjectStore, str], pa.Table]:
    # No schema: a reader that casts to the contract would hide the type errors we look for.
    return lambda store, quarter: store.read_parquet_prefix(prefix(quarter))


def _object_reader(key: Callable[[str], str]) -> Callable[[ObjectStore, str], pa.Table]:
    return lambda store, quarter: store.read_parquet(key(quarter))


RAW_TRANSCRIPTS = DataSet(
    "raw_transcripts",
    "Raw transcripts",
    ("call_id", "para_idx"),
    _prefix_reader(layout.raw_transcripts_prefix),
    layout.raw_transcripts_prefix,
)
FIRM_TOPICS = DataSet(
    "firm_topics",
    "Firm-topics",
    ("firm_id", "topic_id"),
    _prefix_reader(layout.firm_topics_prefix),
    layout.firm_topics_prefix,
)
THEMES = DataSet(
    "themes",
    "Themes",
    ("theme_id",),
    _object_reader(layout.themes_key),
    layout.themes_key,
)
THEME_CONTRIBUTIONS = DataSet(
    "theme_contributions",
    "Theme contributions",
    ("theme_id", "firm_id", "topic_id"),
    _object_reader(layout.theme_contributions_key),
    layout.theme_contributions_key,
)
ALL = (RAW_TRANSCRIPTS, FIRM_TOPICS, THEMES, THEME_CONTRIBUTIONS)
