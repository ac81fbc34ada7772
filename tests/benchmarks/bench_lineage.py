"""What LINEAGE_MIN_SIMILARITY should be: how similar 2017Q1's themes are to 2017Q2's.

    .venv/bin/python tests/benchmarks/bench_lineage.py [--firms 40]    # ~12 min on 2 cores

The first `--firms` firms (by id) with calls in both quarters stand in for a panel. Their
topics are stand-ins too (map's BERTopic topics would need an LLM run): each firm's sentences
of six words or more, embedded with MiniLM as map does, split by k-means into one topic per
15 sentences. Reduce's own clustering (`find_themes`' core, default THEME_* settings) makes
each quarter's themes; the theme centroids are compared as `reduce_worker.lineage` does
(without the two quarters' pooled average topic), and on raw centroids for contrast. Prints
the distribution of each 2017Q1 theme's best and second-best 2017Q2 similarity, and how many
themes each threshold links (README "Research outputs" records a run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sklearn.cluster import KMeans

from ftm_shared.data import earnings_call_file
from map_worker.embed import embed
from reduce_worker.clustering import unit_rows, without_common_direction
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.lineage import theme_centroids
from reduce_worker.themes import Partition, quarter_themes

QUARTERS = ("2017Q1", "2017Q2")
SENTENCES_PER_TOPIC = 15
MIN_WORDS = 6
QUANTILES = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]


def quarter_topics(frame: pd.DataFrame, quarter: str) -> tuple[np.ndarray, np.ndarray]:
    """Stand-in topics of one quarter: unit centroids and their firm ids."""
    rows = frame[frame["quarter"] == quarter]
    started = time.perf_counter()
    vectors = embed(rows["text"].tolist())
    print(f"{quarter}: {len(rows)} sentences embedded in {time.perf_counter() - started:.0f} s")
    centroids, firms = [], []
    for firm, index in rows.groupby("firm_id").indices.items():
        k = max(2, len(index) // SENTENCES_PER_TOPIC)
        labels = KMeans(k, n_init=3, random_state=0).fit_predict(vectors[index])
        centroids += [vectors[index][labels == c].mean(axis=0) for c in range(k)]
        firms += [firm] * k
    return unit_rows(np.array(centroids)), np.array(firms)


def best_two(similarity: np.ndarray) -> np.ndarray:
    return np.sort(similarity, axis=1)[:, ::-1][:, :2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=40)
    args = parser.parse_args()
    frame = pq.read_table(earnings_call_file()).to_pandas()
    frame = frame[frame["text"].str.split().str.len() >= MIN_WORDS]
    both = sorted(set.intersection(*(set(frame[frame.quarter == q].firm_id) for q in QUARTERS)))
    frame = frame[frame["firm_id"].isin(both[: args.firms])]
    print(f"{len(both)} firms have calls in both quarters; {args.firms} used")
    settings = ReduceWorkerSettings(
        s3_bucket="unused", llm_base_url="http://127.0.0.1:1/v1", llm_model="unused"
    )
    found: list[tuple[np.ndarray, Partition]] = []
    for quarter in QUARTERS:
        unit, firms = quarter_topics(frame, quarter)
        keywords = [[f"topic{i}"] for i in range(len(unit))]
        themes = quarter_themes(unit, firms, keywords, settings, quarter)
        print(f"{quarter}: {len(unit)} topics, {len(themes.themes)} themes")
        found.append((unit, themes))
    (before, early), (after, late) = found
    for label, space in (
        ("without the pooled average", without_common_direction(np.vstack([before, after]))),
        ("raw centroids", np.vstack([before, after])),
    ):
        first = theme_centroids(space[: len(before)], [t.members for t in early.themes])
        second = theme_centroids(space[len(before) :], [t.members for t in late.themes])
        similarity = first @ second.T
        best = best_two(similarity)
        print(f"\n{label}: all pairs median {np.median(similarity):.3f}, "
              f"90th percentile {np.quantile(similarity, 0.9):.3f}")  # fmt: skip
        print("  best match        ", np.round(np.quantile(best[:, 0], QUANTILES), 3))
        print("  second best match ", np.round(np.quantile(best[:, 1], QUANTILES), 3))
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
            print(
                f"  {threshold}: {np.mean(best[:, 0] >= threshold):.0%} of 2017Q1 themes reach "
                f"their best match, {np.mean(best[:, 1] >= threshold):.0%} a second one"
            )


if __name__ == "__main__":
    main()
