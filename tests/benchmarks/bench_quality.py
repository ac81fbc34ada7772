"""ftm's topic and theme quality beside the baseline, on the same provided MAEC firms.

    uvx nox -s quality                                  # 66 firms of 2017Q1 and of 2017Q2
    uvx nox -s quality -- --firms 20 --quarters 2017Q1  # quicker
    uvx nox -s quality -- --firms all                   # every firm of each quarter
    uvx nox -s quality -- --names                       # also name with the local LLM (slow)

Per quarter: a seeded sample of N firms (`--seed`), their sentences as map-worker keeps them,
embedded once with the bundled MiniLM (cached under FTM_CACHE_DIR/quality, so a re-run only
clusters). Two contenders on the same sentences and embeddings:

- **ftm**: map-worker's topics (`call_topics`: call procedure set aside, keywords against the
  whole quarter) and reduce-worker's themes (`quarter_themes`, the default settings);
- **baseline**: BERTopic per firm with its defaults and scikit-learn's English stop words in
  its CountVectorizer (UMAP seeded, as ftm's is); a firm it crashes on or leaves with outliers
  only is counted as uncovered. Its topics are grouped by the clustering reduce used before
  this benchmark existed (average linkage at 0.5 on raw centroids, nothing split).

Both are measured by `reduce_worker.quality.measure`, the function every reduce run reports
with; NPMI is over all the quarter's sentences. Names are measured only with `--names`, which
names ftm's topics and themes through the local LLM server (`ftm llm up`'s, started if
LLM_BASE_URL is unset). The targets are the issue's; the table says PASS or FAIL for each, and
the whole report goes to .ftm/bench/quality-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from ftm_quarter import (
    cached_embeddings,
    ftm_themes,
    ftm_topic_rows,
    quarter_source,
    row,
    sample_firms,
)
from quality_names import llm_for_names, named
from quality_table import render, verdicts

from ftm_shared.embedding import embed
from ftm_shared.text import split_sentences
from map_worker.config import TopicTuning
from map_worker.documents import clean, group_by_firm
from map_worker.procedure import PROTOTYPES
from map_worker.topics import Topic
from reduce_worker.clustering import MIN_SPLIT_TOPICS, cluster_topics, unit_rows
from reduce_worker.quality import ThemeView, measure
from reduce_worker.themes import Partition, partition

OUT = Path(".ftm/bench")
BASELINE_DISTANCE = 0.5  # reduce's threshold before this benchmark, on raw centroids


def baseline_topics(texts: list[str], vectors: np.ndarray, seed: int) -> list[Topic]:
    """BERTopic as its documentation's first fix has it; [] for outliers only."""
    from bertopic import BERTopic
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed
    )
    model = BERTopic(umap_model=umap_model, vectorizer_model=CountVectorizer(stop_words="english"))
    assignments = np.asarray(model.fit_transform(texts, vectors)[0])
    topics: list[Topic] = []
    for topic_id in sorted(set(assignments.tolist()) - {-1}):
        members = np.flatnonzero(assignments == topic_id)
        centroid = vectors[members].mean(axis=0)
        closest = members[np.argsort(-(vectors[members] @ centroid))][:3]
        topics.append(
            Topic(
                topic_id=len(topics),
                keywords=[word for word, _ in model.get_topic(topic_id) or []][:10],
                representative_docs=[texts[i] for i in closest],
                n_docs=len(members),
                centroid=(centroid / np.linalg.norm(centroid)).astype(np.float32),
            )
        )
    return topics


def baseline_themes(content: pd.DataFrame, quarter: str) -> Partition:
    unit = unit_rows(np.stack(content["centroid"].to_numpy()))
    labels = cluster_topics(unit, BASELINE_DISTANCE, 2000, 42)
    return partition(
        unit,
        labels,
        content["firm_id"].to_numpy(),
        list(content["keywords"]),
        quarter=quarter,
        min_similarity=0.5,
        min_firms=2,
        n_keywords=10,
    )


def quarter_run(quarter: str, n: int | None, seed: int, names: bool) -> dict[str, Any]:
    started = time.perf_counter()
    frame, table, words = quarter_source(quarter)
    sentences = [clean(s) for text in table["text"].to_pylist() for s in split_sentences(text)]
    chosen = sample_firms(frame, n, seed)
    tuning = TopicTuning()
    selected = table.filter(pa.compute.is_in(table["firm_id"], pa.array(chosen)))
    firms, problems = group_by_firm(selected, tuning)
    documents = sum(len(split_sentences(text)) for text in selected["text"].to_pylist() if text)
    prototypes = embed(list(PROTOTYPES))
    ftm_rows: list[dict[str, Any]] = []
    base_rows: list[dict[str, Any]] = []
    crashed = 0
    for done, firm in enumerate(firms, start=1):
        vectors = cached_embeddings(firm, quarter)
        ftm_rows += ftm_topic_rows(firm, vectors, tuning, prototypes, words)
        try:
            base_rows += [row(firm, t) for t in baseline_topics(firm.texts, vectors, 42)]
        except Exception:
            crashed += 1
        if done % 10 == 0 or done == len(firms):
            print(f"  {quarter}: {done}/{len(firms)} firms ({time.perf_counter() - started:.0f}s)")
    result: dict[str, Any] = {"firms_sampled": len(chosen), "firms_unusable": len(problems)}
    for label, rows, themes in (
        ("ftm", pd.DataFrame(ftm_rows), ftm_themes),
        ("baseline", pd.DataFrame(base_rows), baseline_themes),
    ):
        content = rows[rows["topic_id"] >= 0].reset_index(drop=True)
        found = themes(content, quarter)
        views = [
            ThemeView(members=[int(i) for i in t.members], keywords=t.keywords)
            for t in found.themes
        ]
        failed: dict[str, float] = {}
        if names and label == "ftm":
            rows, views, failed = asyncio.run(named(rows, content, found))
            save_names(quarter, rows, views)
        result[label] = measure(
            rows,
            sentences,
            views,
            firms_total=len(chosen),
            documents=documents,
            embed=embed if names else None,
        )
        result[label]["filler_groups"] = found.filler_groups
        result[label]["filler_topics"] = found.filler
        result[label]["firm_specific_topics"] = found.firm_specific
        result[label]["oversized_themes_kept"] = len(found.oversized)
        result[label]["theme_limit_topics"] = max(
            MIN_SPLIT_TOPICS, math.ceil(0.10 * result[label]["topics"])
        )
        result[label].update({f"naming_{k}": v for k, v in failed.items()})
    result["baseline"]["firms_crashed"] = crashed
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def save_names(quarter: str, rows: pd.DataFrame, views: list[ThemeView]) -> None:
    """Every name the run gave, to read beside the measures (and kept if measuring fails)."""
    topics = rows[rows["topic_id"] >= 0][
        ["firm_id", "topic_id", "name", "naming_method", "keywords"]
    ]
    names = {
        "topics": topics.assign(keywords=topics["keywords"].map(list)).to_dict("records"),
        "themes": [{"name": v.name, "keywords": list(v.keywords)} for v in views],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"quality-names-{quarter}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    target.write_text(json.dumps(names, indent=1, default=str), encoding="utf-8")
    print(f"  names: {target}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", nargs="+", default=["2017Q1", "2017Q2"])
    parser.add_argument("--firms", default="66", help="firms per quarter, or 'all'")
    parser.add_argument("--seed", type=int, default=0, help="seed of the firm sample")
    parser.add_argument("--names", action="store_true", help="name with the local LLM too")
    args = parser.parse_args(argv)
    # Naming progress only: the HTTP client's per-request lines would bury it.
    logging.basicConfig(level=logging.WARNING, format="  %(message)s")
    logging.getLogger("quality").setLevel(logging.INFO)
    n = None if args.firms == "all" else int(args.firms)
    warnings.filterwarnings("ignore", category=FutureWarning)
    report: dict[str, Any] = {"firms": args.firms, "seed": args.seed, "quarters": {}}
    failed = False
    with llm_for_names(args.names):
        for quarter in args.quarters:
            result = quarter_run(quarter, n, args.seed, args.names)
            result["verdicts"] = verdicts(result)
            report["quarters"][quarter] = result
            print(render(quarter, result))
            failed |= any(mark is False for mark in result["verdicts"].values())
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"quality-{time.strftime('%Y%m%dT%H%M%S')}.json"
    target.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(f"report: {target}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
