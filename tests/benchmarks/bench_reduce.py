"""Reduce clustering time (everything between reading and naming) at 5k, 20k and 50k topics.

    uvx nox -s bench -- reduce                   # `--sizes 5000 50000` to choose the sizes

Target: 50,000 topic rows in <= 60 s on the 2-core development machine, LLM time excluded.
The rows are real-looking: every synthetic topic is a noisy copy of a real map-worker centroid
(the reduce-worker test fixture, 11 MAEC firms) blended and moved, so the vectors live where
MiniLM puts earnings-call topics, with a long tail of topics few firms share. The
THEME_* settings apply as in a run (env).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.inputs import quarter_topics
from reduce_worker.runner import find_themes

ROOT = Path(__file__).resolve().parents[2]
# The real map output the tests use (ftm_local.testing.FIRM_TOPICS_2017Q1), read by path: this
# session installs reduce-worker alone.
FIXTURE = ROOT / "shared/local/src/ftm_local/fixtures/firm_topics_2017Q1.parquet"
TARGET_ROWS, TARGET_S = 50_000, 60.0
TOPICS_PER_FIRM = 8
# Noise per dimension that leaves a copy at cosine ~0.8 to its subject (384-d MiniLM vectors).
NOISE = 0.038
SUBJECT_SPREAD = 0.068


def synthetic_rows(real: pa.Table, n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    centroids = np.stack(real["centroid"].to_numpy(zero_copy_only=False)).astype(np.float64)
    # Subjects: a blend of two real centroids, moved off it (cosine ~0.6) so that subjects
    # differ; how many firms raise one falls off like 1/rank: a few widely shared subjects,
    # a long tail raised once.
    subjects = n // 4
    first = rng.integers(0, len(centroids), subjects)
    second = rng.integers(0, len(centroids), subjects)
    weight = rng.uniform(0.3, 1.0, subjects)[:, None]
    base = weight * centroids[first] + (1 - weight) * centroids[second]
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    base += rng.normal(scale=SUBJECT_SPREAD, size=base.shape)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    popularity = 1.0 / np.arange(1, subjects + 1)
    picked = rng.choice(subjects, size=n, p=popularity / popularity.sum())
    vectors = base[picked] + rng.normal(scale=NOISE, size=(n, base.shape[1]))
    source = real.take(pa.array(first[picked]))
    firms = np.arange(n) // TOPICS_PER_FIRM
    return (
        source.set_column(
            source.schema.get_field_index("firm_id"),
            "firm_id",
            pa.array([f"F{f:06d}" for f in firms]),
        )
        .set_column(
            source.schema.get_field_index("topic_id"),
            "topic_id",
            pa.array(np.arange(n) % TOPICS_PER_FIRM, pa.int32()),
        )
        .set_column(
            source.schema.get_field_index("centroid"),
            "centroid",
            pa.array(list(vectors.astype(np.float32)), pa.list_(pa.float32())),
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000, TARGET_ROWS])
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    real = pq.read_table(args.fixture)
    real = real.filter(pc.greater(pc.list_value_length(real["centroid"]), 0))
    settings = ReduceWorkerSettings(
        s3_bucket="unused", llm_base_url="http://127.0.0.1:1/v1", llm_model="unused"
    )
    print(
        f"distance threshold {settings.theme_distance_threshold}, min similarity "
        f"{settings.theme_min_similarity}, micro-clusters {settings.theme_micro_clusters}, "
        f"{real.num_rows} real centroids"
    )
    print(
        f"{'rows':>8} {'themes':>7} {'in themes':>10} {'firm-spec.':>10} {'unassigned':>10} "
        f"{'prepare s':>9} {'cluster s':>9}"
    )
    timings = {}
    for n in args.sizes:
        table = synthetic_rows(real, n, args.seed)
        started = time.perf_counter()
        topics = quarter_topics(table)
        prepared = time.perf_counter()
        found = find_themes(topics, settings, "2017Q1")
        finished = time.perf_counter()
        timings[n] = finished - prepared
        print(
            f"{n:>8} {len(found.themes):>7} {found.in_themes:>10} {found.firm_specific:>10} "
            f"{found.unassigned:>10} {prepared - started:>9.1f} {finished - prepared:>9.1f}"
        )
    if TARGET_ROWS not in timings:
        return 0
    ok = timings[TARGET_ROWS] <= TARGET_S
    print(
        f"{TARGET_ROWS} rows clustered in {timings[TARGET_ROWS]:.1f}s: "
        f"{'within' if ok else 'OVER'} the {TARGET_S:.0f}s target"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
