"""Realistic outputs for one quarter: real MAEC paragraphs, a real map-worker run on 12 MAEC
firms (ftm_ops.testing's `real_firm_topics`, 11 firms mapped, 65 topics) and themes grouped
from those topics' centroids the way reduce-worker groups them (nearest seed by cosine), then
written to a moto bucket."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ftm_expectations.checklist import Checklist, run_checklist
from ftm_ops import ingest
from ftm_ops.testing import mapped_run
from ftm_shared import layout, schemas
from ftm_shared.config import FtmSettings, load_settings
from ftm_shared.storage import ObjectStore

QUARTER = "2017Q1"
N_THEMES = 6


@dataclass
class Outputs:
    raw: pa.Table
    topics: pd.DataFrame
    themes: pd.DataFrame
    contributions: pd.DataFrame
    exposure: pd.DataFrame
    skip: set[str] = field(default_factory=set)
    """Data sets left out of the bucket."""
    plan_settings: dict[str, Any] = field(default_factory=dict)
    """The run's plan settings (e.g. `keyword_fallback`)."""

    def publish(self, store: ObjectStore, quarter: str = QUARTER) -> None:
        """Into the bucket as one run's outputs (a mapped run, its themes pair under it)."""
        if "raw" not in self.skip:
            store.write_parquet(layout.raw_transcripts_key(quarter, "maec"), self.raw)
        topics = [] if "topics" in self.skip else [_table(self.topics, schemas.FIRM_TOPICS)]
        plan = mapped_run(store, quarter, topics, settings=self.plan_settings)
        if "themes" not in self.skip:
            store.write_parquet(
                layout.run_themes_key(quarter, plan.run_id), _table(self.themes, schemas.THEMES)
            )
        if "contributions" not in self.skip:
            store.write_parquet(
                layout.run_theme_contributions_key(quarter, plan.run_id),
                _table(self.contributions, schemas.THEME_CONTRIBUTIONS),
            )
        if "exposure" not in self.skip:
            store.write_parquet(
                layout.run_exposure_key(quarter, plan.run_id),
                _table(self.exposure, schemas.FIRM_THEME_EXPOSURE),
            )


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Cast to the contract, keeping any column a test added or dropped as it is."""
    fields = [schema.field(n) if n in schema.names else None for n in frame.columns]
    arrays = [
        pa.array(frame[name], type=f.type if f else None, from_pandas=True)
        for name, f in zip(frame.columns, fields, strict=True)
    ]
    return pa.Table.from_arrays(arrays, names=list(frame.columns))


def build_themes(topics: pd.DataFrame, quarter: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    vectors = np.stack(topics["centroid"].to_numpy()).astype(np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    seeds = topics.drop_duplicates("firm_id").index[:N_THEMES]
    similarity = vectors @ vectors[seeds].T
    assigned = similarity.argmax(axis=1)
    themes, contributions = [], []
    for number, seed in enumerate(sorted(set(assigned)), start=1):
        members = topics[assigned == seed]
        theme_id = f"theme_{quarter}_{number:03d}"
        keywords = pd.Series([k for ks in members["keywords"] for k in ks]).value_counts()
        themes.append(
            {
                "theme_id": theme_id,
                "name": topics.loc[seeds[seed], "name"],
                "description": "Firms discuss " + "; ".join(members["name"].head(3)),
                "n_firms": members["firm_id"].nunique(),
                "n_topics": len(members),
                "keywords": list(keywords.index[:8]),
            }
        )
        for index, topic in members.iterrows():
            contributions.append(
                {
                    "theme_id": theme_id,
                    **topic[["firm_id", "firm_name", "permno", "gvkey"]].to_dict(),
                    "earnings_call_date": topic["earnings_call_date"],
                    "topic_id": topic["topic_id"],
                    "similarity": float(similarity[index, seed]),
                }
            )
    return pd.DataFrame(themes), pd.DataFrame(contributions)


def build_exposure(
    raw: pa.Table, topics: pd.DataFrame, contributions: pd.DataFrame
) -> pd.DataFrame:
    """A panel that fits the themes: each firm's call is exposed to a theme in proportion to
    its topics there (out of its topics plus one, so a call's total stays below 1)."""
    calls = raw.select(["firm_id", "call_id"]).to_pandas().drop_duplicates("firm_id")
    per_firm = topics.groupby("firm_id").size()
    firm_fields = ["firm_id", "permno", "gvkey", "earnings_call_date"]
    panel = (
        contributions.groupby(["firm_id", "theme_id"])
        .agg(n_topics=("topic_id", "size"), **{c: (c, "first") for c in firm_fields[1:]})
        .reset_index()
        .merge(calls, on="firm_id")
    )
    panel["quarter"] = QUARTER
    panel["exposure"] = panel["n_topics"] / (panel["firm_id"].map(per_firm) + 1)
    panel["n_sentences"] = panel["n_topics"] * 3
    panel["risk_exposure"] = panel["exposure"] / 4
    panel["sentiment"] = 0.01
    return panel[schemas.FIRM_THEME_EXPOSURE.names]


@pytest.fixture(scope="session")
def good_outputs(
    data_dir: Path, real_firm_topics: pa.Table, tmp_path_factory: pytest.TempPathFactory
) -> Outputs:
    folder = ObjectStore(str(tmp_path_factory.mktemp("ingested")))
    source = data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet"
    # The same 12 firms the map-worker fixture was made from.
    done = ingest.ingest(source, QUARTER, folder, firms=12)
    raw = folder.read_parquet(done.key)
    topics = real_firm_topics.to_pandas()
    themes, contributions = build_themes(topics, QUARTER)
    return Outputs(raw, topics, themes, contributions, build_exposure(raw, topics, contributions))


@pytest.fixture
def outputs(good_outputs: Outputs) -> Outputs:
    """A copy each test may break as it likes."""
    return copy.deepcopy(good_outputs)


@pytest.fixture(scope="session")
def gx_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Great Expectations project for the session: its data docs gather every test's run."""
    return tmp_path_factory.mktemp("gx") / "gx"


@pytest.fixture
def checklist_for(store: ObjectStore, gx_root: Path) -> Callable[[Outputs], Checklist]:
    def run(outputs: Outputs) -> Checklist:
        outputs.publish(store)
        return run_checklist(load_settings(FtmSettings), QUARTER, gx_dir=gx_root)

    return run
