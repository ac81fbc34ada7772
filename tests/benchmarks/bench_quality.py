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
import math
import os
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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

from ftm_ops.local.llm_server import env_for, start_llm
from ftm_ops.local.process import stop_process
from ftm_shared.embedding import embed
from ftm_shared.text import split_sentences
from map_worker.config import TopicTuning
from map_worker.documents import clean, group_by_firm
from map_worker.procedure import PROTOTYPES
from map_worker.topics import Topic
from reduce_worker.clustering import MIN_SPLIT_TOPICS, cluster_topics, unit_rows
from reduce_worker.quality import ThemeView, measure
from reduce_worker.themes import Partition, Theme, partition

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
        failed: dict[str, int] = {}
        if names and label == "ftm":
            rows, views, failed = asyncio.run(named(rows, content, found))
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
        result[label].update({f"naming_failed_{k}": v for k, v in failed.items()})
    result["baseline"]["firms_crashed"] = crashed
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


async def named(
    rows: pd.DataFrame, content: pd.DataFrame, found: Partition
) -> tuple[pd.DataFrame, list[ThemeView], dict[str, int]]:
    """ftm's topics and themes named as map and reduce name them: each name held to fit its
    own topic (among its firm's) or theme (among the quarter's), keyword phrases where no
    answer fits; a topic or theme the LLM gives no answer for at all is counted, unnamed."""
    from ftm_shared.config import load_settings
    from ftm_shared.llm import LlmClient, LlmError, LlmSettings
    from ftm_shared.llm.accept import AnswerRejectedError
    from ftm_shared.llm.fit import NameGate
    from map_worker.config import NamingTuning
    from map_worker.naming import name_topic
    from reduce_worker.naming import keyword_label, name_theme
    from reduce_worker.themes import contrasts, theme_centroids

    settings = load_settings(LlmSettings)
    tuning = NamingTuning()
    failed = {"topics": 0, "themes": 0, "theme_keyword_names": 0}
    firm_rows = content.groupby("firm_id", sort=False).indices
    gates = {
        firm: NameGate(embed, np.stack(content["centroid"].to_numpy()[index]))
        for firm, index in firm_rows.items()
    }
    position = {
        int(row): own for index in firm_rows.values() for own, row in enumerate(index.tolist())
    }

    async def topic_name(client: LlmClient, at: int, row: pd.Series) -> tuple[str, str, str] | None:
        topic = Topic(
            int(row["topic_id"]),
            list(row["keywords"]),
            list(row["representative_docs"]),
            int(row["n_docs"]),
            row["centroid"],
        )
        fit = gates[row["firm_id"]].item(position[at])
        try:
            naming = await name_topic(client, topic, tuning, fit=fit)
        except LlmError:
            failed["topics"] += 1
            return None
        return naming.name, naming.summary, naming.naming_method

    async with LlmClient(settings.llm_config()) as client:
        await client.ensure_ready()
        answers = await asyncio.gather(
            *(topic_name(client, at, r) for at, (_, r) in enumerate(content.iterrows()))
        )
        content = content.copy()
        content["name"] = [a[0] if a else "" for a in answers]
        content["summary"] = [a[1] if a else "" for a in answers]
        content["naming_method"] = [a[2] if a else "failed" for a in answers]
        names, summaries = list(content["name"]), list(content["summary"])
        nearby = contrasts(found.themes, names, summaries)
        unit = np.stack(content["centroid"].to_numpy())
        members = [theme.members for theme in found.themes]
        gate = NameGate(embed, theme_centroids(members, unit, content["n_docs"].to_numpy()))

        async def theme_name(own: int, theme: Theme) -> str | None:
            central = [(names[i], summaries[i]) for i in theme.members[:7]]
            fit = gate.item(own)
            try:
                label = await name_theme(
                    client, central, theme.keywords, 6, nearby[theme.theme_id], fit
                )
            except AnswerRejectedError:
                failed["theme_keyword_names"] += 1
                return str(keyword_label(theme.keywords, theme.n_topics, theme.n_firms, fit).name)
            except LlmError:
                failed["themes"] += 1
                return None
            return str(label.name)

        theme_names = await asyncio.gather(
            *(theme_name(own, theme) for own, theme in enumerate(found.themes))
        )
    procedure = rows[rows["topic_id"] < 0]
    views = [
        ThemeView([int(i) for i in theme.members], name, theme.keywords)
        for theme, name in zip(found.themes, theme_names, strict=True)
    ]
    return pd.concat([content, procedure], ignore_index=True), views, failed


TARGETS = {
    "keyword_npmi": "higher than the baseline",
    "topic_diversity": "higher than the baseline",
    "firms_covered": "every firm",
    "largest_theme_topic_share": "<= 0.10 (at least 5 topics)",
    "firms_per_theme_median": ">= 3",
    "procedural_themes": "0",
    "theme_keywords_one_firm_share": "<= 0.10",
    "largest_theme_filler_words": "<= 3 of its top 10",
    "fragment_or_copied_name_share": "<= 0.05",
    "unfinished_or_repeated_names": "0",
    "topic_name_fit_at1": ">= keyword names",
    "theme_name_fit_at1": ">= 0.70 and >= keyword names",
}


def verdicts(result: dict[str, Any]) -> dict[str, bool | None]:
    ftm, base = result["ftm"], result["baseline"]

    def higher(key: str) -> bool | None:
        return None if ftm[key] is None or base[key] is None else ftm[key] > base[key]

    share = ftm["fragment_or_copied_name_share"]

    def beats_keywords(kind: str) -> bool | None:
        fit, plain = ftm.get(f"{kind}_name_fit_at1"), ftm.get(f"{kind}_keyword_name_fit_at1")
        return None if fit is None or plain is None else fit >= plain

    theme_fit = ftm.get("theme_name_fit_at1")
    unfinished = ftm.get("unfinished_or_repeated_names")
    return {
        "keyword_npmi": higher("keyword_npmi"),
        "topic_diversity": higher("topic_diversity"),
        "firms_covered": ftm["firms_covered"] == ftm["firms"],
        # 10% of the topics, but never below MIN_SPLIT_TOPICS (a small sample's 10% is tiny).
        "largest_theme_topic_share": (ftm["largest_theme_topic_share"] or 0) * ftm["topics"]
        <= ftm["theme_limit_topics"],
        "firms_per_theme_median": (ftm["firms_per_theme_median"] or 0) >= 3,
        "procedural_themes": ftm["procedural_themes"] == 0,
        "theme_keywords_one_firm_share": (ftm["theme_keywords_one_firm_share"] or 0) <= 0.10,
        "largest_theme_filler_words": ftm["largest_theme_filler_words"] <= 3,
        "fragment_or_copied_name_share": None if share is None else share <= 0.05,
        "unfinished_or_repeated_names": None if unfinished is None else unfinished == 0,
        "topic_name_fit_at1": beats_keywords("topic"),
        "theme_name_fit_at1": None
        if theme_fit is None
        else bool(theme_fit >= 0.70 and beats_keywords("theme")),
    }


SHOWN = (
    "firms",
    "firms_covered",
    "topics",
    "topics_per_firm",
    "keyword_npmi",
    "topic_diversity",
    "keywords_per_topic",
    "procedural_share",
    "procedural_topics",
    "themes",
    "largest_theme_topic_share",
    "largest_theme_firm_share",
    "firms_per_theme_median",
    "firms_per_theme_max",
    "firm_specific_topics",
    "filler_groups",
    "filler_topics",
    "procedural_themes",
    "theme_keywords_one_firm_share",
    "largest_theme_filler_words",
    "largest_theme_filler",
    "fragment_or_copied_name_share",
    "ungrounded_summary_share",
    "theme_fragment_name_share",
    "unfinished_or_repeated_names",
    "topic_llm_name_share",
    "topic_name_fit_at1",
    "topic_keyword_name_fit_at1",
    "topic_name_fit_at3",
    "topic_keyword_name_fit_at3",
    "theme_name_fit_at1",
    "theme_keyword_name_fit_at1",
    "theme_name_fit_at3",
    "theme_keyword_name_fit_at3",
    "naming_failed_topics",
    "naming_failed_themes",
    "naming_failed_theme_keyword_names",
)


def render(quarter: str, result: dict[str, Any]) -> str:
    marks = verdicts(result)
    lines = [
        f"quality {quarter}: {result['firms_sampled']} firms sampled, {result['seconds']}s "
        f"(baseline crashed on {result['baseline']['firms_crashed']})",
        f"  {'':<30}{'ftm':>10}{'baseline':>10}   target",
    ]
    for key in SHOWN:
        ftm, base = result["ftm"].get(key), result["baseline"].get(key)
        target = TARGETS.get(key, "")
        mark = {True: "PASS", False: "FAIL", None: "n/a"}[marks[key]] if key in marks else ""
        lines.append(f"  {key:<30}{_cell(ftm):>10}{_cell(base):>10}   {target} {mark}".rstrip())
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


@contextmanager
def llm_for_names(names: bool) -> Iterator[None]:
    """The LLM_BASE_URL given, else a local server of our own for the run (only with names)."""
    if not names or os.environ.get("LLM_BASE_URL"):
        yield
        return
    record = start_llm(Path(tempfile.mkdtemp(prefix="ftm-quality-")))
    try:
        os.environ.update(env_for(record.url))
        yield
    finally:
        stop_process(record.pid)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", nargs="+", default=["2017Q1", "2017Q2"])
    parser.add_argument("--firms", default="66", help="firms per quarter, or 'all'")
    parser.add_argument("--seed", type=int, default=0, help="seed of the firm sample")
    parser.add_argument("--names", action="store_true", help="name with the local LLM too")
    args = parser.parse_args(argv)
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
