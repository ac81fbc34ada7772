"""The smoke run's outputs, copied out of the bucket before the local cloud stops.

The moto server keeps objects in memory, so what the run produced would vanish with it; the
copies under the state folder are what the summary and the HTML report point at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ftm_shared import layout, runs
from ftm_shared.storage import ObjectNotFoundError, ObjectStore


@dataclass(frozen=True)
class Outputs:
    folder: Path
    themes: pd.DataFrame
    contributions: pd.DataFrame
    firm_topics: pd.DataFrame
    quality: dict[str, Any] = field(default_factory=dict)
    """The current run's quality measures, from its reduce report (empty without one)."""
    quotes: pd.DataFrame = field(default_factory=pd.DataFrame)
    lineage: pd.DataFrame = field(default_factory=pd.DataFrame)
    exposure: pd.DataFrame = field(default_factory=pd.DataFrame)

    def themes_with_firms(self, limit: int) -> list[str]:
        lines = []
        for theme in self.themes.head(limit).itertuples():
            members = self.contributions[self.contributions["theme_id"] == theme.theme_id]
            # MAEC carries tickers only: a firm without a name is shown by its id.
            names = sorted(set(members["firm_name"].fillna(members["firm_id"]).astype(str)))
            shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            lines.append(f"  {theme.theme_id}  {theme.name} ({theme.n_firms} firms): {shown}")
        return lines


def copy_outputs(store: ObjectStore, quarter: str, folder: Path) -> Outputs:
    """Copy the quarter's firm topics, themes, contributions, quotes, lineage and exposure
    panel to `folder` and load them."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "firm_topics": _copy_prefix(store, layout.firm_topics_prefix(quarter), folder),
        "themes": _copy_one(store, layout.themes_key(quarter), folder),
        "contributions": _copy_one(store, layout.theme_contributions_key(quarter), folder),
        "quotes": _copy_one(store, layout.theme_quotes_key(quarter), folder),
        "lineage": _copy_one(store, layout.theme_lineage_key(quarter), folder),
        "exposure": _copy_one(store, layout.exposure_key(quarter), folder),
    }
    return Outputs(folder=folder, **tables, quality=_quality(store, quarter))


def _quality(store: ObjectStore, quarter: str) -> dict[str, Any]:
    run_id = runs.current_run(store, quarter)
    if run_id is None:
        return {}
    try:
        report = store.read_json(layout.run_reduce_report_key(quarter, run_id))
    except ObjectNotFoundError:
        return {}
    return dict(report.get("quality") or {})


def _copy_one(store: ObjectStore, key: str, folder: Path) -> pd.DataFrame:
    try:
        payload = store.get_bytes(key)
    except ObjectNotFoundError:
        return pd.DataFrame()
    target = folder / Path(key).name
    target.write_bytes(payload)
    return pq.read_table(target).to_pandas()


def _copy_prefix(store: ObjectStore, prefix: str, folder: Path) -> pd.DataFrame:
    if not store.parquet_keys(prefix):
        return pd.DataFrame()
    table = store.read_parquet_prefix(prefix)
    target = folder / "firm_topics.parquet"
    pq.write_table(table, target)
    return table.to_pandas()
