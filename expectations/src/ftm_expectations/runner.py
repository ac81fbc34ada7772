"""Read a quarter's outputs, derive the views, run the checkpoint, build the checklist."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd

from ftm_expectations import datasets, views
from ftm_expectations.datasets import MissingDataSetError
from ftm_expectations.project import run_checkpoint
from ftm_expectations.results import criteria_for
from ftm_expectations.suites import Suite, all_suites
from ftm_shared.checklist import Checklist, Criterion
from ftm_shared.storage import ObjectStore

log = logging.getLogger(__name__)


def load_frames(
    store: ObjectStore, quarter: str, run_id: str | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every data set that could be read, and why each other one could not."""
    frames: dict[str, pd.DataFrame] = {}
    missing: dict[str, str] = {}
    target = datasets.Target.of(store, quarter, run_id)
    for data_set in datasets.ALL:
        try:
            frames[data_set.name] = data_set.load(store, target)
        except MissingDataSetError as error:
            missing[data_set.name] = str(error)
    return frames, missing


def derive_views(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    topics = frames.get(datasets.FIRM_TOPICS.name)
    themes = frames.get(datasets.THEMES.name)
    contributions = frames.get(datasets.THEME_CONTRIBUTIONS.name)
    exposure = frames.get(datasets.FIRM_THEME_EXPOSURE.name)
    quotes = frames.get(datasets.THEME_QUOTES.name)
    lineage = frames.get(datasets.THEME_LINEAGE.name)
    derived = dict(frames)
    if topics is not None:
        derived[datasets.FIRM_TOPICS.name] = views.firm_topics_view(topics)
    if themes is not None:
        derived[datasets.THEMES.name] = views.themes_view(
            themes, contributions, quotes, lineage, exposure
        )
    if contributions is not None:
        derived[datasets.THEME_CONTRIBUTIONS.name] = views.contributions_view(
            contributions, themes, topics
        )
    if exposure is not None:
        derived[datasets.FIRM_THEME_EXPOSURE.name] = views.exposure_view(exposure, themes)
    if quotes is not None:
        raw = frames.get(datasets.RAW_TRANSCRIPTS.name)
        derived[datasets.THEME_QUOTES.name] = views.quotes_view(quotes, themes, contributions, raw)
    if lineage is not None:
        derived[datasets.THEME_LINEAGE.name] = views.lineage_view(lineage, themes)
    return derived


def validate_outputs(
    store: ObjectStore, quarter: str, root: Path, run_id: str | None = None
) -> Checklist:
    started = time.perf_counter()
    frames, missing = load_frames(store, quarter, run_id)
    derived = derive_views(frames)
    suites = all_suites(quarter)
    staged: list[tuple[Suite, pd.DataFrame]] = [
        (suite, derived[suite.name]) for suite in suites if suite.name in derived
    ]
    run = run_checkpoint(root, quarter, staged) if staged else None
    criteria: list[Criterion] = []
    for suite in suites:
        if suite.name in missing:
            label = suite.data_set.label
            criteria.append(Criterion(f"{label} found", False, 0, 1, missing[suite.name]))
        elif run is not None:
            results = run.results.get(suite.name, [])
            criteria += criteria_for(suite, derived[suite.name], results, set(missing))
    log.info("validated %s in %.1fs", quarter, time.perf_counter() - started)
    return Checklist(quarter, criteria, run.data_docs if run else None)
