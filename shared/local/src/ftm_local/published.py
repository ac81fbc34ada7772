"""A quarter's outputs in a bucket as the stages leave them, for the tests of what reads them.

`mapped_run` is a run whose map finished; `realistic_outputs` adds what reduce publishes
(themes, contributions, exposure, quotes, lineage) for real map output, grouped the way
reduce-worker groups topics, without running reduce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ftm_shared import layout, runs, schemas
from ftm_shared.plan import Plan, ShardPlan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore

QUARTER = "2017Q1"
N_THEMES = 6
N_QUOTES = 5
PREVIOUS = ("2016Q4", "20251201T000000Z-prev0000")


@dataclass
class Outputs:
    raw: pa.Table
    topics: pd.DataFrame
    themes: pd.DataFrame
    contributions: pd.DataFrame
    exposure: pd.DataFrame
    quotes: pd.DataFrame
    lineage: pd.DataFrame
    skip: set[str] = field(default_factory=set)
    """Data sets left out of the bucket."""

    def publish(self, store: ObjectStore, quarter: str = QUARTER) -> None:
        """Into the bucket as one run's outputs (a mapped run, its themes pair under it)."""
        if "raw" not in self.skip:
            store.write_parquet(layout.raw_transcripts_key(quarter, "maec"), self.raw)
        topics = [] if "topics" in self.skip else [_table(self.topics, schemas.FIRM_TOPICS)]
        plan = mapped_run(store, quarter, topics)
        if "themes" not in self.skip:
            store.write_parquet(
                layout.run_themes_key(quarter, plan.run_id), _table(self.themes, schemas.THEMES)
            )
        if "contributions" not in self.skip:
            store.write_parquet(
                layout.run_theme_contributions_key(quarter, plan.run_id),
                _table(self.contributions, schemas.THEME_CONTRIBUTIONS),
            )
        companions = [
            ("exposure", layout.run_exposure_key, self.exposure, schemas.FIRM_THEME_EXPOSURE),
            ("quotes", layout.run_theme_quotes_key, self.quotes, schemas.THEME_QUOTES),
            ("lineage", layout.run_theme_lineage_key, self.lineage, schemas.THEME_LINEAGE),
        ]
        for name, key, frame, schema in companions:
            if name not in self.skip:
                store.write_parquet(key(quarter, plan.run_id), _table(frame, schema))


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
                "naming_method": "llm",
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


def build_quotes(topics: pd.DataFrame, contributions: pd.DataFrame) -> pd.DataFrame:
    """Each theme's quotes as reduce_worker.quotes picks them: member topics most similar
    first, every topic's best representative sentence, then every topic's second, and so on,
    a sentence (case and spacing aside) once."""
    docs = topics.set_index(["firm_id", "topic_id"])["representative_docs"]
    central = contributions.sort_values("similarity", ascending=False, kind="stable")
    quotes = []
    for _, members in central.groupby("theme_id", sort=True):
        seen: set[str] = set()
        sentences = [list(docs[(m.firm_id, m.topic_id)]) for m in members.itertuples()]
        for depth in range(max(map(len, sentences))):
            for member, said in zip(members.to_dict("records"), sentences, strict=True):
                words = " ".join(said[depth].lower().split()) if depth < len(said) else ""
                if words and words not in seen and len(seen) < N_QUOTES:
                    seen.add(words)
                    quotes.append({**member, "rank": len(seen), "text": said[depth].strip()})
    return pd.DataFrame(quotes)[schemas.THEME_QUOTES.names]


def build_lineage(themes: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """A lineage to 2016Q4 with every status: theme 1 continues 2016Q4's first, themes 2 and
    3 split from its second, theme 4 merges its third and fourth, the rest are new, and its
    fifth has vanished."""
    ids = themes["theme_id"].tolist()
    assert len(ids) >= 5, "too few themes for every lineage status"
    before = [f"theme_{PREVIOUS[0]}_{n:03d}" for n in range(1, 6)]
    links = [
        (ids[0], before[0], 0.81, "continuing"),
        (ids[1], before[1], 0.66, "split"),
        (ids[2], before[1], 0.58, "split"),
        (ids[3], before[2], 0.61, "merged"),
        (ids[3], before[3], 0.52, "merged"),
        *((theme, None, None, "new") for theme in ids[4:]),
        (None, before[4], None, "vanished"),
    ]
    return pd.DataFrame(
        [
            {
                "quarter": quarter,
                "theme_id": theme,
                "previous_quarter": PREVIOUS[0],
                "previous_run_id": PREVIOUS[1],
                "previous_theme_id": previous,
                "similarity": similarity,
                "status": status,
            }
            for theme, previous, similarity, status in links
        ]
    )


def mapped_run(
    store: ObjectStore,
    quarter: str,
    parts: list[pa.Table],
    run_id: str = "20260101T000000Z-test0000",
    settings: dict[str, Any] | None = None,
) -> Plan:
    """A run whose map finished with `parts` as its output (one shard per part), as the stages
    after map find it: its plan, each shard's progress listing its part, the manifest `mapped`."""
    shards = [
        ShardPlan(f"{n:05d}", sorted({str(f) for f in part.to_pydict().get("firm_id", [])}))
        for n, part in enumerate(parts)
    ]
    plan = Plan(
        quarter=quarter,
        run_id=run_id,
        fingerprint=run_id,
        created_at=f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T{run_id[9:11]}:00:00+00:00",
        shards=shards,
        settings=settings or {},
        concurrency={"shards_in_flight": 1},
        tolerated_failure_pct=5.0,
    )
    plan.save(store)
    for shard, part in zip(shards, parts, strict=True):
        progress = ShardProgress(quarter, run_id, shard.shard, firms_done=shard.firms)
        key = progress.next_part_key()
        store.write_parquet(key, part)
        progress.parts.append(key)
        progress.complete = True
        progress.save(store)
    runs.update_manifest(store, plan, state=runs.MAPPED)
    return plan


def realistic_outputs(raw: pa.Table, firm_topics: pa.Table) -> Outputs:
    """The outputs one run of QUARTER publishes for these paragraphs and map output."""
    topics = firm_topics.to_pandas()
    themes, contributions = build_themes(topics, QUARTER)
    return Outputs(
        raw,
        topics,
        themes,
        contributions,
        build_exposure(raw, topics, contributions),
        build_quotes(topics, contributions),
        build_lineage(themes, QUARTER),
    )


def topic_keys(store: ObjectStore, plan: Plan) -> list[tuple[str, int]]:
    """Every (firm, topic) in the run's map output, once per row: a firm mapped twice shows."""
    tables = [store.read_parquet(key) for key in runs.run_parts(store, plan)]
    return [
        (str(firm), int(topic))
        for table in tables
        for firm, topic in zip(
            table["firm_id"].to_pylist(), table["topic_id"].to_pylist(), strict=True
        )
    ]
