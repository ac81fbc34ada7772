"""The reduce stage: read every firm's topics, cluster them into themes, name, write.

The outputs (`outputs.py`) are written only when every theme is named; otherwise the previous
pair stays and the report (`progress/{q}/reduce_report.json`) lists the themes that failed.
The report is written on success too: the counts of the summary, the settings used, the run id.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ftm_shared import layout
from ftm_shared.llm import LlmClient, LlmConfigurationError, LlmError
from ftm_shared.llm.accept import AnswerRejectedError
from ftm_shared.progress import Progress
from ftm_shared.storage import ObjectStore
from reduce_worker.clustering import cluster_topics
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.inputs import QuarterTopics, read_firm_topics
from reduce_worker.naming import ThemeLabel, name_theme
from reduce_worker.outputs import contributions_table, themes_table, write_pair
from reduce_worker.themes import Partition, Theme, partition

log = logging.getLogger("reduce_worker")


@dataclass(frozen=True)
class ThemeFailure:
    theme_id: str
    n_topics: int
    n_firms: int
    error_type: str
    message: str


@dataclass
class ReduceSummary:
    quarter: str
    run_id: str
    topics: int = 0
    firms: int = 0
    themes: int = 0
    in_themes: int = 0
    firm_specific: int = 0
    firm_specific_groups: int = 0
    unassigned: int = 0
    clustering_s: float = 0.0
    naming_s: float = 0.0
    llm: dict[str, Any] = field(default_factory=dict)
    failures: list[ThemeFailure] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    report_uri: str = ""


def find_themes(topics: QuarterTopics, settings: ReduceWorkerSettings, quarter: str) -> Partition:
    """Everything between reading and naming (the part that must scale)."""
    labels = cluster_topics(
        topics.unit,
        settings.theme_distance_threshold,
        settings.theme_micro_clusters,
        settings.theme_seed,
    )
    return partition(
        topics.unit,
        labels,
        topics.rows["firm_id"].to_numpy(zero_copy_only=False),
        topics.rows["keywords"].to_pylist(),
        quarter=quarter,
        min_similarity=settings.theme_min_similarity,
        min_firms=settings.min_theme_firms,
        n_keywords=settings.theme_keywords,
    )


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


class ReduceRun:
    def __init__(self, settings: ReduceWorkerSettings, quarter: str, store: ObjectStore):
        self.settings, self.quarter, self.store = settings, quarter, store
        self.summary = ReduceSummary(quarter, new_run_id())

    async def run(self) -> ReduceSummary:
        topics = read_firm_topics(self.store, self.quarter)
        summary = self.summary
        summary.topics = len(topics)
        summary.firms = len(topics.rows["firm_id"].unique())
        log.info(
            "reduce %s: %d topic(s) of %d firm(s)", self.quarter, summary.topics, summary.firms
        )
        started = time.perf_counter()
        found = find_themes(topics, self.settings, self.quarter)
        summary.clustering_s = time.perf_counter() - started
        summary.themes, summary.in_themes = len(found.themes), found.in_themes
        summary.firm_specific = found.firm_specific
        summary.firm_specific_groups = found.firm_specific_groups
        summary.unassigned = found.unassigned
        log.info(
            "reduce %s: %d theme(s) in %.1fs; %d topic(s) in themes, %d firm-specific, "
            "%d unassigned",
            self.quarter,
            summary.themes,
            summary.clustering_s,
            summary.in_themes,
            summary.firm_specific,
            summary.unassigned,
        )
        started = time.perf_counter()
        labels = await self._name_all(found.themes, topics) if found.themes else []
        summary.naming_s = time.perf_counter() - started
        if not summary.failures:
            if not found.themes:
                log.warning("reduce %s: no topic is shared by enough firms", self.quarter)
            summary.outputs = write_pair(
                self.store,
                self.quarter,
                themes_table(found.themes, labels),
                contributions_table(found.themes, topics.rows),
                summary.run_id,
            )
        self._write_report()
        return summary

    async def _name_all(self, themes: list[Theme], topics: QuarterTopics) -> list[ThemeLabel]:
        names = topics.rows["name"].to_pylist()
        summaries = topics.rows["summary"].to_pylist()
        progress = Progress(f"reduce {self.quarter} themes named", len(themes), log)
        labels: dict[str, ThemeLabel] = {}

        async def one(client: LlmClient, theme: Theme) -> None:
            per_prompt = self.settings.theme_naming_topics
            central = [(names[i], summaries[i]) for i in theme.members[: per_prompt + 1]]
            try:
                labels[theme.theme_id] = await name_theme(
                    client, central, theme.keywords, per_prompt
                )
            except LlmConfigurationError:
                raise
            except (LlmError, AnswerRejectedError) as error:
                log.error("theme %s not named: %s: %s", theme.theme_id, type(error).__name__, error)
                self.summary.failures.append(
                    ThemeFailure(
                        theme.theme_id,
                        theme.n_topics,
                        theme.n_firms,
                        type(error).__name__,
                        str(error),
                    )
                )
            named = theme.theme_id in labels
            progress.advance(note=f"{theme.theme_id} {'named' if named else 'FAILED'}")

        async with LlmClient(self.settings.llm_config()) as client:
            await client.ensure_ready()
            tasks = [asyncio.create_task(one(client, theme)) for theme in themes]
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                self.summary.llm = client.stats.as_dict()
        self.summary.failures.sort(key=lambda failure: failure.theme_id)
        return [labels[theme.theme_id] for theme in themes if theme.theme_id in labels]

    def _write_report(self) -> None:
        key = layout.reduce_report_key(self.quarter)
        settings = self.settings
        report = {
            **asdict(self.summary),
            "status": "failed" if self.summary.failures else "ok",
            "settings": {
                name: getattr(settings, name)
                for name in ReduceWorkerSettings.model_fields
                if name.startswith("theme_") or name == "min_theme_firms"
            },
        }
        report.pop("report_uri")
        self.store.write_json(key, report)
        self.summary.report_uri = self.store.uri(key)
