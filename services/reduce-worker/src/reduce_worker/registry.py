"""One theme id for one subject in every quarter: the theme registry.

A quarter's theme ids (`theme_2017Q2_014`) name that quarter's clusters; a panel needs one id
per subject across quarters. The registry keeps making the taxonomy apart from labelling with
it (TnT-LLM): the first quarter registered seeds it, each later quarter's themes are assigned
to the stable themes they fit, and new stable themes are made for the rest. Every assignment
is recorded with its reason (`DECISIONS`).

A quarter theme **continues** a stable theme when
- its centroid is close to the stable theme's anchor: cosine similarity at least
  `REGISTRY_MIN_SIMILARITY`, both taken relative to the call register (the seed quarter's
  average topic, kept in the registry, so that every quarter is compared in one space, as
  the clustering compares topics without their common direction);
- the stable theme's name still fits: embedded, it ranks this theme within
  `REGISTRY_NAME_FIT_RANK` of the quarter's themes (the name-fit measure, `ftm_shared.llm.fit`);
- no closer quarter theme took that stable theme this quarter (one each way, closest first).

A close theme that the stable name no longer fits has **drifted**: it gets a new stable id
recorded as split from the old one, not silently kept under it. Anything else is **new**.

A stable theme's name, description, keywords and anchor are those of the theme that created
it, fixed: an id means what it meant when first seen, and does not wander quarter by quarter.
Ids are minted in sequence and never reused: registering a quarter again (a re-run) replaces
only that quarter's assignments, so no other quarter's ids change; a stable theme left with no
quarter keeps its id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ftm_shared.llm.fit import Embed, unit_rows

SEEDED, CONTINUED, DRIFTED, NEW = "seeded", "continued", "drifted", "new"
DECISIONS = (SEEDED, CONTINUED, DRIFTED, NEW)


@dataclass(frozen=True)
class QuarterThemes:
    """What the registry needs of one reduced run's themes."""

    quarter: str
    run_id: str
    theme_ids: list[str]
    names: list[str]
    descriptions: list[str]
    keywords: list[list[str]]
    centroids: np.ndarray
    """Unit content centroids, one row per theme, in the space the sentences were embedded in."""
    register: np.ndarray
    """The quarter's average topic (unit), the direction every call shares."""


@dataclass(frozen=True)
class StableTheme:
    stable_theme_id: str
    name: str
    description: str
    keywords: list[str]
    anchor: np.ndarray
    created_quarter: str
    created_run_id: str
    created_from_theme_id: str
    split_from: str | None = None


@dataclass(frozen=True)
class Assignment:
    quarter: str
    run_id: str
    theme_id: str
    stable_theme_id: str
    decision: str
    similarity: float | None = None
    """To the anchor of the stable theme continued, or drifted from, or nearest (new)."""
    name_fit_rank: int | None = None
    """Where the stable name ranks this theme among the quarter's (continued or drifted)."""
    nearest_stable_theme_id: str | None = None


@dataclass(frozen=True)
class Registry:
    register: np.ndarray | None = None
    themes: tuple[StableTheme, ...] = ()
    assignments: tuple[Assignment, ...] = ()

    def quarters_of(self, stable_theme_id: str) -> list[str]:
        return sorted({a.quarter for a in self.assignments if a.stable_theme_id == stable_theme_id})

    def run_registered(self, quarter: str) -> str | None:
        return next((a.run_id for a in self.assignments if a.quarter == quarter), None)


@dataclass(frozen=True)
class Rules:
    min_similarity: float
    name_fit_rank: int


@dataclass
class _Matching:
    similarity: np.ndarray
    name_sims: np.ndarray
    rules: Rules
    continued: dict[int, int] = field(default_factory=dict)
    """Quarter theme -> stable theme it continues."""
    drifted: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Quarter theme -> (closest stable theme whose name no longer fits, that name's rank)."""

    def rank(self, stable: int, theme: int) -> int:
        """The stable name's rank of `theme` among the quarter's themes (1: it fits best)."""
        sims = self.name_sims[stable]
        return int((sims >= sims[theme]).sum())

    def match(self) -> None:
        taken: set[int] = set()
        close = np.argwhere(self.similarity >= self.rules.min_similarity)
        order = sorted(close.tolist(), key=lambda pair: -self.similarity[pair[0], pair[1]])
        for stable, theme in order:
            if theme in self.continued or stable in taken:
                continue
            rank = self.rank(stable, theme)
            if rank <= self.rules.name_fit_rank:
                self.continued[theme] = stable
                taken.add(stable)
            else:
                self.drifted.setdefault(theme, (stable, rank))


def relative(vectors: np.ndarray, register: np.ndarray) -> np.ndarray:
    """Unit rows of `vectors` as they differ from the register (a row equal to it kept)."""
    residual = np.asarray(vectors, dtype=np.float64) - register
    flat = np.linalg.norm(residual, axis=1) < 1e-6
    residual[flat] = np.asarray(vectors, dtype=np.float64)[flat]
    return unit_rows(residual)


def register_quarter(
    registry: Registry, quarter: QuarterThemes, embed: Embed, rules: Rules
) -> Registry:
    """The registry with `quarter`'s assignments made anew (its earlier ones replaced)."""
    kept = tuple(a for a in registry.assignments if a.quarter != quarter.quarter)
    register = registry.register if registry.register is not None else quarter.register
    themes = list(registry.themes)
    if not themes:
        matching = None
    else:
        anchors = relative(np.stack([t.anchor for t in themes]), register)
        similarity = anchors @ relative(quarter.centroids, register).T
        name_sims = unit_rows(embed([t.name for t in themes])) @ unit_rows(quarter.centroids).T
        matching = _Matching(similarity, name_sims, rules)
        matching.match()
    made: list[Assignment] = []
    for index, theme_id in enumerate(quarter.theme_ids):
        if matching is None:
            stable = _mint(themes, quarter, index)
            made.append(Assignment(quarter.quarter, quarter.run_id, theme_id, stable, SEEDED))
            continue
        made.append(_assign(matching, themes, quarter, index))
    return Registry(register, tuple(themes), kept + tuple(made))


def _assign(
    matching: _Matching, themes: list[StableTheme], quarter: QuarterThemes, index: int
) -> Assignment:
    at = (quarter.quarter, quarter.run_id, quarter.theme_ids[index])
    if index in matching.continued:
        stable = matching.continued[index]
        return Assignment(
            *at,
            themes[stable].stable_theme_id,
            CONTINUED,
            float(matching.similarity[stable, index]),
            matching.rank(stable, index),
            themes[stable].stable_theme_id,
        )
    nearest = int(matching.similarity[:, index].argmax())
    if index in matching.drifted:
        old, rank = matching.drifted[index]
        split_from = themes[old].stable_theme_id
        stable_id = _mint(themes, quarter, index, split_from=split_from)
        similarity = float(matching.similarity[old, index])
        return Assignment(*at, stable_id, DRIFTED, similarity, rank, split_from)
    stable_id = _mint(themes, quarter, index)
    similarity = float(matching.similarity[nearest, index])
    return Assignment(*at, stable_id, NEW, similarity, None, themes[nearest].stable_theme_id)


def _mint(
    themes: list[StableTheme], quarter: QuarterThemes, index: int, split_from: str | None = None
) -> str:
    """A new stable theme from the quarter's theme `index`, appended to `themes`; its id."""
    stable_id = f"stable_{len(themes) + 1:04d}"
    themes.append(
        StableTheme(
            stable_id,
            quarter.names[index],
            quarter.descriptions[index],
            list(quarter.keywords[index]),
            np.asarray(quarter.centroids[index], dtype=np.float32),
            quarter.quarter,
            quarter.run_id,
            quarter.theme_ids[index],
            split_from,
        )
    )
    return stable_id


def persistence(registry: Registry) -> dict[int, int]:
    """How many stable themes appear in exactly n quarters, for each n."""
    counts: dict[int, int] = {}
    for theme in registry.themes:
        n = len(registry.quarters_of(theme.stable_theme_id))
        if n:
            counts[n] = counts.get(n, 0) + 1
    return dict(sorted(counts.items()))


def decisions(registry: Registry, quarter: str) -> dict[str, int]:
    """The quarter's assignments per decision, every decision named."""
    made = [a.decision for a in registry.assignments if a.quarter == quarter]
    return {decision: made.count(decision) for decision in DECISIONS}
