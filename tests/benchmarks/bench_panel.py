"""Themes across many quarters: how the theme registry's stable ids hold up on MAEC firms that
held a call in each of four consecutive quarters.

    uvx nox -s bench -- panel                          # 2015Q4..2016Q3: 24 firms, every quarter
    uvx nox -s bench -- panel --quarters 2016Q1..2017Q2 --min-quarters 4   # 70 firms, unbalanced

MAEC dates calls by calendar quarter, and fiscal calendars shift calls across quarter ends, so
few firms have a call in each of four consecutive quarters (24 in 2015Q4-2016Q3, the most of
any window); `--min-quarters` takes the firms with calls in at least that many of the quarters,
each measured over the quarters it has.

Each quarter is what `bench_lineage.py` measures (`ftm_quarter.py`): the firms' sentences from
the provided 2015-2018 file, embedded with the bundled MiniLM (cached), map-worker's topics and
reduce-worker's themes with the default settings. Themes are named by their keyword phrases
(`ftm_shared.llm.fit.keyword_name`, reduce's fallback name): no LLM, so the run is
reproducible and takes minutes, and the registry's name check is judged on plain names. The
quarters are then registered in calendar order (`reduce_worker.registry`, default rules).

Printed, with the command's load average:
- stable themes per number of quarters they appear in (persistence over 2, 3, 4 quarters) and
  the registry's decisions per quarter;
- the themes the same firm keeps: of a firm's stable themes in one quarter, the share it has
  again the next quarter, beside the same share against another firm's next quarter (what
  stable ids give by chance);
- each persistent theme's name fit in each quarter: where its stable name ranks the quarter's
  theme among the quarter's themes (1 = it picks it);
- keyword support: the share of a persistent theme's consecutive quarters whose themes share
  `--shared` (2) or more of their top 10 keywords, beside the same share for random pairs of
  themes of those quarters (the lineage benchmark's test);
- the weakest continuations, with both ends' keywords and quotes, for a person to judge.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from ftm_quarter import cached_embeddings, ftm_themes, ftm_topic_rows, quarter_source

from ftm_shared.data import earnings_call_file
from ftm_shared.embedding import embed
from ftm_shared.layout import parse_quarters
from ftm_shared.llm.fit import keyword_name, unit_rows
from map_worker.config import TopicTuning
from map_worker.documents import group_by_firm
from map_worker.procedure import PROTOTYPES
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.registry import (
    CONTINUED,
    QuarterThemes,
    Registry,
    Rules,
    decisions,
    persistence,
    register_quarter,
)
from reduce_worker.themes import theme_centroids

SPAN = "maec_2015_2018_sentences.parquet"
DEFAULT_QUARTERS = "2015Q4..2016Q3"


@dataclass(frozen=True)
class Quarter:
    themes: QuarterThemes
    firms: list[set[str]]
    quotes: list[list[str]]


def panel_firms(quarters: list[str], least: int, n: int | None, seed: int) -> list[str]:
    """Firms with a call in at least `least` of `quarters` (a seeded sample of `n` of them)."""
    frame = pd.read_parquet(earnings_call_file(SPAN), columns=["firm_id", "quarter"])
    held = frame[frame["quarter"].isin(quarters)].drop_duplicates().groupby("firm_id").size()
    firms = sorted(held[held >= least].index)
    return firms if n is None or n >= len(firms) else sorted(random.Random(seed).sample(firms, n))


def quarter_found(quarter: str, chosen: list[str]) -> Quarter:
    started = time.perf_counter()
    _frame, table, words = quarter_source(quarter, SPAN)
    tuning = TopicTuning()
    selected = table.filter(pa.compute.is_in(table["firm_id"], pa.array(chosen)))
    firms, _problems = group_by_firm(selected, tuning)
    prototypes = embed(list(PROTOTYPES))
    rows = []
    for firm in firms:
        rows += ftm_topic_rows(firm, cached_embeddings(firm, quarter), tuning, prototypes, words)
    content = pd.DataFrame(rows).query("topic_id >= 0").reset_index(drop=True)
    found = ftm_themes(content, quarter)
    unit = unit_rows(np.stack(content["centroid"].to_numpy()))
    members = [np.asarray(t.members) for t in found.themes]
    firm_ids = content["firm_id"].to_numpy()
    docs = content["representative_docs"].to_numpy()
    print(
        f"  {quarter}: {len(firms)} firms, {len(content)} topics, {len(found.themes)} themes "
        f"({time.perf_counter() - started:.0f}s)"
    )
    return Quarter(
        QuarterThemes(
            quarter,
            "bench",
            [t.theme_id for t in found.themes],
            [keyword_name(t.keywords) for t in found.themes],
            ["" for _ in found.themes],
            [list(t.keywords) for t in found.themes],
            theme_centroids(members, unit, content["n_docs"].to_numpy()),
            unit_rows(unit.mean(axis=0, keepdims=True))[0],
        ),
        [set(firm_ids[m]) for m in members],
        [[str(docs[i][0]) for i in m[:2]] for m in members],
    )


def shared_keywords(a: list[str], b: list[str]) -> int:
    return len(set(a[:10]) & set(b[:10]))


def firm_themes(registry: Registry, found: dict[str, Quarter]) -> dict[str, dict[str, set[str]]]:
    """quarter -> firm -> the stable themes its topics are in."""
    stable = {(a.quarter, a.theme_id): a.stable_theme_id for a in registry.assignments}
    held: dict[str, dict[str, set[str]]] = {}
    for quarter, q in found.items():
        for theme_id, firms in zip(q.themes.theme_ids, q.firms, strict=True):
            for firm in firms:
                held.setdefault(quarter, {}).setdefault(firm, set()).add(
                    stable[(quarter, theme_id)]
                )
    return held


def kept_by_firms(held: dict[str, dict[str, set[str]]], quarters: list[str], seed: int) -> None:
    """Each firm's next quarter with themes, against a random other firm's same quarter."""
    rng = random.Random(seed)
    own, other = [], []
    firms = sorted({firm for by_firm in held.values() for firm in by_firm})
    for firm in firms:
        present = [q for q in quarters if firm in held.get(q, {})]
        for before, after in itertools.pairwise(present):
            mine = held[before][firm]
            own.append(len(mine & held[after][firm]) / len(mine))
            strangers = [f for f in held[after] if f != firm] or [firm]
            other.append(len(mine & held[after][rng.choice(strangers)]) / len(mine))
    print(
        f"\nthemes a firm keeps into the next quarter: {np.mean(own):.3f} of its stable themes "
        f"(another firm's next quarter: {np.mean(other):.3f}); {len(own)} firm-quarter pairs"
    )


def continuations(registry: Registry, found: dict[str, Quarter], quarters: list[str]) -> list:
    """(stable id, earlier quarter, its theme index, later quarter, its index) for each pair of
    consecutive quarters a stable theme appears in."""
    where: dict[str, list[tuple[str, int]]] = {}
    for a in registry.assignments:
        where.setdefault(a.stable_theme_id, []).append(
            (a.quarter, found[a.quarter].themes.theme_ids.index(a.theme_id))
        )
    pairs = []
    for stable_id, seen in where.items():
        seen.sort(key=lambda qi: quarters.index(qi[0]))
        pairs += [(stable_id, *a, *b) for a, b in itertools.pairwise(seen)]
    return pairs


def keyword_support(
    registry: Registry, pairs: list, found: dict[str, Quarter], shared: int, seed: int
) -> None:
    supported = [
        shared_keywords(found[qa].themes.keywords[ia], found[qb].themes.keywords[ib]) >= shared
        for _s, qa, ia, qb, ib in pairs
    ]
    similarity = {(a.quarter, a.theme_id): a.similarity for a in registry.assignments}
    closeness = np.array(
        [similarity[(qb, found[qb].themes.theme_ids[ib])] or 0.0 for *_rest, qb, ib in pairs]
    )
    print("continuations by similarity to the anchor (what REGISTRY_MIN_SIMILARITY keeps):")
    for floor in (0.75, 0.80, 0.85, 0.90):
        kept = closeness >= floor
        share = np.mean(np.array(supported)[kept]) if kept.any() else float("nan")
        print(
            f"  >= {floor:.2f}: {int(kept.sum()):3d} continuations, keyword-supported {share:.3f}"
        )
    rng = random.Random(seed)
    baseline = []
    for _s, qa, _ia, qb, _ib in pairs * 20:
        a = rng.choice(found[qa].themes.keywords)
        b = rng.choice(found[qb].themes.keywords)
        baseline.append(shared_keywords(a, b) >= shared)
    print(
        f"keyword support: {np.mean(supported):.3f} of {len(pairs)} continuations share "
        f">= {shared} of their top 10 keywords (random theme pairs of the same quarters: "
        f"{np.mean(baseline):.3f})"
    )


def name_fit(registry: Registry, quarters: list[str]) -> None:
    persistent = {
        t.stable_theme_id
        for t in registry.themes
        if len(registry.quarters_of(t.stable_theme_id)) > 1
    }
    print("\nname fit of persistent themes' stable names, per quarter (rank 1 = picks its theme):")
    for quarter in quarters:
        ranks = [
            a.name_fit_rank
            for a in registry.assignments
            if a.quarter == quarter and a.stable_theme_id in persistent and a.decision == CONTINUED
        ]
        if ranks:
            print(
                f"  {quarter}: {len(ranks)} continued, rank 1 {np.mean(np.array(ranks) == 1):.3f}, "
                f"median rank {np.median(ranks):.0f}"
            )
        else:
            print(f"  {quarter}: seed quarter (names are its own themes')")


def weakest(registry: Registry, pairs: list, found: dict[str, Quarter], n: int) -> None:
    similarity = {(a.quarter, a.theme_id): a.similarity for a in registry.assignments}
    names = {t.stable_theme_id: t.name for t in registry.themes}
    scored = sorted(
        pairs,
        key=lambda p: similarity[(p[3], found[p[3]].themes.theme_ids[p[4]])] or 0.0,
    )
    print(f"\nthe {n} weakest continuations (similarity to the anchor), both ends:")
    for stable_id, qa, ia, qb, ib in scored[:n]:
        later = found[qb].themes
        print(f"- {stable_id} {names[stable_id]!r} ({similarity[(qb, later.theme_ids[ib])]:.3f})")
        for quarter, index in ((qa, ia), (qb, ib)):
            q = found[quarter]
            print(f"    {quarter}: {', '.join(q.themes.keywords[index][:8])}")
            for quote in q.quotes[index]:
                print(f'      "{quote[:150]}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quarters", default=DEFAULT_QUARTERS)
    parser.add_argument(
        "--min-quarters", type=int, help="firms with calls in this many quarters (default all)"
    )
    parser.add_argument("--firms", type=int, help="a seeded sample of the panel firms")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared", type=int, default=2)
    defaults = ReduceWorkerSettings.model_fields
    parser.add_argument(
        "--min-similarity", type=float, default=defaults["registry_min_similarity"].default
    )
    parser.add_argument(
        "--name-fit-rank", type=int, default=defaults["registry_name_fit_rank"].default
    )
    parser.add_argument("--show", type=int, default=4)
    args = parser.parse_args()
    quarters = parse_quarters(args.quarters)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    least = args.min_quarters or len(quarters)
    chosen = panel_firms(quarters, least, args.firms, args.seed)
    print(f"{len(chosen)} firms with a call in at least {least} of {', '.join(quarters)}")
    found = {quarter: quarter_found(quarter, chosen) for quarter in quarters}
    rules = Rules(args.min_similarity, args.name_fit_rank)
    print(f"registry rules: {rules}")
    registry = Registry()
    for quarter in quarters:
        registry = register_quarter(registry, found[quarter].themes, embed, rules)
        print(f"  registered {quarter}: {decisions(registry, quarter)}")
    counts = persistence(registry)
    print(
        f"\n{len(registry.themes)} stable themes; by quarters they appear in: "
        + ", ".join(f"{n}: {c}" for n, c in counts.items())
    )
    kept_by_firms(firm_themes(registry, found), quarters, args.seed)
    pairs = continuations(registry, found, quarters)
    keyword_support(registry, pairs, found, args.shared, args.seed)
    name_fit(registry, quarters)
    weakest(registry, pairs, found, args.show)


if __name__ == "__main__":
    main()
