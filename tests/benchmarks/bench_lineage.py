"""What LINEAGE_MIN_SIMILARITY should be: how often a link between 2017Q1's and 2017Q2's
themes is right, on map-worker's real topics of a panel of firms.

    .venv/bin/python tests/benchmarks/bench_lineage.py              # all 92 panel firms
    .venv/bin/python tests/benchmarks/bench_lineage.py --firms 46 --seed 1   # a seeded sample

Runtime on 2 busy cores, all 92 firms: 15 minutes the first time (embedding), 2.5 minutes once
the embeddings are cached.

The panel: the firms with calls in both quarters of the provided file (92), or a seeded sample
of them (`--firms`, `--seed`). Each quarter is what `bench_quality.py` measures ftm on, with the
functions both import (`ftm_quarter.py`): the firms' sentences as map-worker keeps them,
embedded with the bundled MiniLM (cached under FTM_CACHE_DIR/quality, shared with that
benchmark), map-worker's topics
(`call_topics`: call procedure set aside, keywords weighed against the whole quarter) and
reduce-worker's themes (`quarter_themes`, default settings). The two quarters' themes are then
compared exactly as reduce does (`lineage.theme_similarity`, `lineage.best_links`).

Ground truth, without an LLM: a linked pair of themes is *supported* when their keyword lists
(reduce's top `THEME_KEYWORDS`, 10, from the member topics' c-TF-IDF keywords) share at least
`--shared` (2) keywords. One shared word happens by chance (the printed counts for every theme
pair say how often); two of ten rarely do. As a second check it also counts pairs whose member
firms overlap more than chance (hypergeometric p < 0.05 over the panel, at least two firms);
`either` is a link supported by keywords or by firms.

For each threshold from 0.3 to 0.8: the best-match links made, the share supported (precision),
the share of supported best-match pairs linked (recall), and the links and precision of the
0.05-wide band from that threshold up; every theme pair (random pairs' expectation) gives the
baseline. The same table follows for mutual best matches only (not reduce's rule, for
contrast), then the weakest links from `--show-from` with both keyword lists, for a person to
judge. README "Themes across quarters" records a run.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from ftm_quarter import (
    cached_embeddings,
    ftm_themes,
    ftm_topic_rows,
    quarter_source,
    sample_firms,
)
from scipy.stats import hypergeom

from ftm_shared.data import earnings_call_file
from ftm_shared.embedding import embed
from map_worker.config import TopicTuning
from map_worker.documents import group_by_firm
from map_worker.procedure import PROTOTYPES
from reduce_worker.clustering import unit_rows
from reduce_worker.lineage import QuarterThemes, best_links, theme_similarity

QUARTERS = ("2017Q1", "2017Q2")
THRESHOLDS = np.round(np.arange(0.30, 0.801, 0.05), 2)
FIRM_P_VALUE = 0.05


@dataclass(frozen=True)
class Found:
    """A quarter's themes with what the ground truth reads: keywords and member firms."""

    themes: QuarterThemes
    keywords: list[list[str]]
    firms: list[set[str]]


def panel_firms(n: int | None, seed: int) -> tuple[int, list[str]]:
    """How many firms have calls in both quarters, and the sample of them used."""
    frame = pd.read_parquet(earnings_call_file(), columns=["firm_id", "quarter"])
    both = set.intersection(*(set(frame[frame["quarter"] == q]["firm_id"]) for q in QUARTERS))
    return len(both), sample_firms(pd.DataFrame({"firm_id": sorted(both)}), n, seed)


def quarter_found(quarter: str, chosen: list[str]) -> Found:
    """The quarter's themes over the chosen firms' real topics, as map and reduce make them."""
    started = time.perf_counter()
    _frame, table, words = quarter_source(quarter)
    tuning = TopicTuning()
    selected = table.filter(pa.compute.is_in(table["firm_id"], pa.array(chosen)))
    firms, problems = group_by_firm(selected, tuning)
    prototypes = embed(list(PROTOTYPES))
    rows = []
    for done, firm in enumerate(firms, start=1):
        rows += ftm_topic_rows(firm, cached_embeddings(firm, quarter), tuning, prototypes, words)
        if done % 10 == 0 or done == len(firms):
            print(f"  {quarter}: {done}/{len(firms)} firms ({time.perf_counter() - started:.0f}s)")
    topics = pd.DataFrame(rows)
    content = topics[topics["topic_id"] >= 0].reset_index(drop=True)
    found = ftm_themes(content, quarter)
    firm_ids = content["firm_id"].to_numpy()
    print(
        f"{quarter}: {len(firms)} firms ({len(problems)} unusable), {len(content)} topics, "
        f"{len(found.themes)} themes"
    )
    return Found(
        themes=QuarterThemes(
            quarter,
            [t.theme_id for t in found.themes],
            [np.asarray(t.members, dtype=np.int64) for t in found.themes],
            unit_rows(np.stack(content["centroid"].to_numpy())),
        ),
        keywords=[list(t.keywords) for t in found.themes],
        firms=[set(firm_ids[t.members]) for t in found.themes],
    )


@dataclass(frozen=True)
class Pairs:
    """Every (previous, current) theme pair's similarity and ground truth."""

    similarity: np.ndarray
    shared: np.ndarray  # keywords the two themes share
    firms_support: np.ndarray  # member firms overlap more than chance

    def supported(self, minimum: int) -> np.ndarray:
        return self.shared >= minimum


def pairs(before: Found, after: Found, panel: int) -> Pairs:
    shape = (len(before.keywords), len(after.keywords))
    shared = np.zeros(shape, dtype=np.int64)
    firms_support = np.zeros(shape, dtype=bool)
    for p, c in np.ndindex(shape):
        shared[p, c] = len(set(before.keywords[p]) & set(after.keywords[c]))
        overlap = len(before.firms[p] & after.firms[c])
        # P(overlap at least this large) if the current theme's firms were drawn at random
        chance = hypergeom.sf(overlap - 1, panel, len(before.firms[p]), len(after.firms[c]))
        firms_support[p, c] = overlap >= 2 and chance < FIRM_P_VALUE
    return Pairs(theme_similarity(before.themes, after.themes), shared, firms_support)


def share(values: np.ndarray) -> str:
    return f"{values.mean():.2f}" if values.size else "-"


def mutual(similarity: np.ndarray, links: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The links whose two themes are each other's best match (no hub theme linked twice)."""
    return [
        (p, c) for p, c in links if similarity[p].argmax() == c and similarity[:, c].argmax() == p
    ]


def table(found: Pairs, minimum: int, only_mutual: bool) -> list[str]:
    supported = found.supported(minimum)
    candidates = best_links(found.similarity, -1.0)  # every best match, whatever its similarity
    if only_mutual:
        candidates = mutual(found.similarity, candidates)
    if not candidates:
        return ["no theme pairs: a quarter has no themes (too few firms?)"]
    p, c = (np.array(side, dtype=np.int64) for side in zip(*candidates, strict=True))
    similarity, truth, firms = found.similarity[p, c], supported[p, c], found.firms_support[p, c]
    either = truth | firms
    lines = [
        f"{'threshold':>9} {'links':>6} {'precision':>9} {'recall':>7} {'firm-prec':>9} "
        f"{'either':>6} {'band':>5} {'band-prec':>9}"
    ]
    for threshold in THRESHOLDS:
        linked = similarity >= threshold
        band = linked & (similarity < threshold + 0.05)
        lines.append(
            f"{threshold:>9.2f} {linked.sum():>6} {share(truth[linked]):>9} "
            f"{share(linked[truth]):>7} {share(firms[linked]):>9} "
            f"{share(either[linked]):>6} {band.sum():>5} {share(truth[band]):>9}"
        )
    lines.append(
        f"{'any':>9} {len(candidates):>6} {share(truth):>9} {'1.00':>7} {share(firms):>9} "
        f"{share(either):>6}   (every candidate, whatever its similarity)"
    )
    lines.append(
        f"{'random':>9} {supported.size:>6} {share(supported.ravel()):>9} {'-':>7} "
        f"{share(found.firms_support.ravel()):>9} "
        f"{share((supported | found.firms_support).ravel()):>6}"
        "   (every theme pair: the chance baseline)"
    )
    return lines


def weakest(found: Pairs, before: Found, after: Found, minimum: int, start: float, n: int) -> None:
    links = [(found.similarity[p, c], p, c) for p, c in best_links(found.similarity, start)]
    print(f"\nweakest {n} best-match links from {start} ('+' supported by keywords, 'f' by firms)")
    for similarity, p, c in sorted(links)[:n]:
        mark = ("+" if found.shared[p, c] >= minimum else " ") + (
            "f" if found.firms_support[p, c] else " "
        )
        print(f"{similarity:.3f} {mark} shared {found.shared[p, c]}")
        print(f"    {before.themes.theme_ids[p]}: {', '.join(before.keywords[p])}")
        print(f"    {after.themes.theme_ids[c]}: {', '.join(after.keywords[c])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", default="all", help="panel firms used, or 'all'")
    parser.add_argument("--seed", type=int, default=0, help="seed of the panel sample")
    parser.add_argument("--shared", type=int, default=2, help="keywords a supported link shares")
    parser.add_argument("--show-from", type=float, default=0.4, help="weakest links from here")
    parser.add_argument("--show", type=int, default=15, help="how many weakest links to print")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    started = time.perf_counter()
    total, chosen = panel_firms(None if args.firms == "all" else int(args.firms), args.seed)
    print(f"{total} firms have calls in both quarters; {len(chosen)} used (seed {args.seed})")
    before, after = (quarter_found(quarter, chosen) for quarter in QUARTERS)
    found = pairs(before, after, len(chosen))
    counts = np.bincount(found.shared.ravel())
    print(f"\ntheme pairs (all) sharing 0, 1, 2, ... keywords: {counts.tolist()}")
    print(f"supported: at least {args.shared} of the top keywords shared\n")
    print("\n".join(table(found, args.shared, only_mutual=False)))
    print("\nthe same for mutual best matches only (reduce links either way's best match)")
    print("\n".join(table(found, args.shared, only_mutual=True)))
    weakest(found, before, after, args.shared, args.show_from, args.show)
    print(f"\n{time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
