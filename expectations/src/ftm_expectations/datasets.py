"""The data sets the suites validate, read from the bucket the way the services write them.

The outputs are one run's (`ftm_shared.runs`): the run named, else the quarter's current run
(the last one reduced), else its newest run whose map finished. Firm topics are the parts that
run's shards list; themes, contributions, quotes, lineage and the exposure panel the objects
under the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from ftm_shared import layout, runs
from ftm_shared.errors import InputError
from ftm_shared.plan import Plan
from ftm_shared.storage import CorruptObjectError, ObjectNotFoundError, ObjectStore

# How a row is named in a failure message: "firm AAP topic 2", "theme_2017Q1_003".
_ID_WORDS = {
    "call_id": "call",
    "para_idx": "para",
    "firm_id": "firm",
    "topic_id": "topic",
    "rank": "quote",
    "previous_theme_id": "from",
}


@dataclass(frozen=True)
class DataSet:
    name: str
    """Suite, asset and staged file name."""
    label: str
    id_columns: tuple[str, ...]
    _read: Callable[[ObjectStore, Target], pa.Table]
    _where: Callable[[Target], str]

    def location(self, store: ObjectStore, target: Target) -> str:
        return store.uri(self._where(target))

    def load(self, store: ObjectStore, target: Target) -> pd.DataFrame:
        """The data set as pandas; `MissingDataSetError` naming the object when unreadable."""
        try:
            table = self._read(store, target)
        except ObjectNotFoundError:
            raise MissingDataSetError(f"no object at {self.location(store, target)}") from None
        except CorruptObjectError as error:
            raise MissingDataSetError(str(error)) from None
        return table.to_pandas().reset_index(drop=True)

    def row_name(self, row: Mapping[str, Any]) -> str:
        parts = []
        for column in self.id_columns:
            value = row.get(column)
            # A null id (a lineage row's missing side) reads "none", not pandas' "nan".
            value = "none" if pd.api.types.is_scalar(value) and pd.isna(value) else value
            word = _ID_WORDS.get(column)
            parts.append(f"{word} {value}" if word else str(value))
        return " ".join(parts)


@dataclass(frozen=True)
class Target:
    """What is validated: the quarter's raw transcripts and one run's outputs."""

    quarter: str
    plan: Plan | None
    no_run: str = ""
    """Why there is no run to validate, when `plan` is None."""

    @classmethod
    def of(cls, store: ObjectStore, quarter: str, run_id: str | None = None) -> Target:
        """`run_id`, else the current run (the last reduced), else the newest mapped one."""
        try:
            chosen = run_id or runs.current_run(store, quarter)
            return cls(quarter, runs.reducible_run(store, quarter, chosen))
        except InputError as error:
            return cls(quarter, None, str(error))

    def run(self) -> Plan:
        if self.plan is None:
            raise MissingDataSetError(self.no_run)
        return self.plan


class MissingDataSetError(LookupError):
    pass


def _raw_transcripts(store: ObjectStore, target: Target) -> pa.Table:
    # No schema: a reader that casts to the contract would hide the type errors we look for.
    return store.read_parquet_prefix(layout.raw_transcripts_prefix(target.quarter))


def _firm_topics(store: ObjectStore, target: Target) -> pa.Table:
    plan = target.run()
    tables = [store.read_parquet(key) for key in runs.run_parts(store, plan)]
    if not tables:
        raise ObjectNotFoundError(store.uri(_firm_topics_where(target)))
    return pa.concat_tables(tables, promote_options="default")


def _firm_topics_where(target: Target) -> str:
    plan = target.run()
    return layout.run_prefix(plan.quarter, plan.run_id) + "firm-topics/"


def _run_object(key: Callable[[str, str], str]) -> Callable[[Target], str]:
    return lambda target: key(target.quarter, target.run().run_id)


def _object_reader(key: Callable[[str, str], str]) -> Callable[[ObjectStore, Target], pa.Table]:
    return lambda store, target: store.read_parquet(_run_object(key)(target))


RAW_TRANSCRIPTS = DataSet(
    "raw_transcripts",
    "Raw transcripts",
    ("call_id", "para_idx"),
    _raw_transcripts,
    lambda target: layout.raw_transcripts_prefix(target.quarter),
)
FIRM_TOPICS = DataSet(
    "firm_topics", "Firm-topics", ("firm_id", "topic_id"), _firm_topics, _firm_topics_where
)
THEMES = DataSet(
    "themes",
    "Themes",
    ("theme_id",),
    _object_reader(layout.run_themes_key),
    _run_object(layout.run_themes_key),
)
THEME_CONTRIBUTIONS = DataSet(
    "theme_contributions",
    "Theme contributions",
    ("theme_id", "firm_id", "topic_id"),
    _object_reader(layout.run_theme_contributions_key),
    _run_object(layout.run_theme_contributions_key),
)
FIRM_THEME_EXPOSURE = DataSet(
    "firm_theme_exposure",
    "Exposure panel",
    ("call_id", "theme_id"),
    _object_reader(layout.run_exposure_key),
    _run_object(layout.run_exposure_key),
)
THEME_QUOTES = DataSet(
    "theme_quotes",
    "Theme quotes",
    ("theme_id", "rank"),
    _object_reader(layout.run_theme_quotes_key),
    _run_object(layout.run_theme_quotes_key),
)
# A vanished theme's row has no theme_id, a new one's no previous_theme_id: both name the row.
THEME_LINEAGE = DataSet(
    "theme_lineage",
    "Theme lineage",
    ("theme_id", "previous_theme_id"),
    _object_reader(layout.run_theme_lineage_key),
    _run_object(layout.run_theme_lineage_key),
)
ALL = (
    RAW_TRANSCRIPTS,
    FIRM_TOPICS,
    THEMES,
    THEME_CONTRIBUTIONS,
    FIRM_THEME_EXPOSURE,
    THEME_QUOTES,
    THEME_LINEAGE,
)
