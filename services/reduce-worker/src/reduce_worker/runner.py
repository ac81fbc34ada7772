"""The reduce stage: read one run's firm topics, cluster them into themes, name, write.

The run is the one named, or the newest whose map finished within the failure policy
(`ftm_shared.runs.reducible_run`); a run reduced before is not reduced again. The outputs
(`outputs.py`) are written only when every theme is named, under the run and then at the
contract paths; otherwise the previous pair stays and the run's report
(`runs/quarter={q}/run={id}/reduce_report.json`) lists the themes that failed. The report is
written on success too: the counts of the summary, the settings used, the run id.

With the pair go each theme's quotes (`quotes.py`) and the lineage to the previous quarter's
current run (`lineage.py`; empty when that quarter has none), so reduce the quarters in order,
and the firm-theme exposure panel (`exposure.py`; not for a run mapped before map wrote each
sentence's topic).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict
from typing import Any

import pyarrow as pa

from ftm_shared import layout, runs, schemas
from ftm_shared.embedding import embed
from ftm_shared.errors import InputError
from ftm_shared.llm import LlmClient, LlmConfigurationError, LlmError
from ftm_shared.llm.accept import AnswerRejectedError
from ftm_shared.llm.fit import NameGate
from ftm_shared.progress import Progress
from ftm_shared.storage import ObjectNotFoundError, ObjectStore
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.exposure import exposure_table
from reduce_worker.inputs import QuarterTopics, read_firm_topics
from reduce_worker.lineage import QuarterThemes, lineage_counts, previous_lineage
from reduce_worker.naming import (
    SHOWN_COLUMNS,
    ThemeLabel,
    keyword_label,
    name_theme,
    shown_topics,
)
from reduce_worker.outputs import (
    contributions_table,
    publish,
    read_run_companions,
    run_companions,
    run_pair_keys,
    themes_table,
    write_pair,
)
from reduce_worker.procedure import procedure_counts, set_aside
from reduce_worker.quality import ThemeView, measure, quarter_sentences
from reduce_worker.quotes import quotes_table
from reduce_worker.registry_store import RegistryConflictError, registered
from reduce_worker.summary import ReduceSummary, ThemeFailure
from reduce_worker.themes import Partition, Theme, contrasts, quarter_themes, theme_centroids

log = logging.getLogger("reduce_worker")


def find_themes(topics: QuarterTopics, settings: ReduceWorkerSettings, quarter: str) -> Partition:
    """Everything between reading and naming (the part that must scale)."""
    return quarter_themes(
        topics.unit,
        topics.rows["firm_id"].to_numpy(zero_copy_only=False),
        topics.rows["keywords"].to_pylist(),
        settings,
        quarter,
        topics.rows["representative_docs"].to_pylist(),
    )


class ReduceRun:
    def __init__(
        self,
        settings: ReduceWorkerSettings,
        quarter: str,
        store: ObjectStore,
        run_id: str | None = None,
    ):
        self.settings, self.quarter, self.store = settings, quarter, store
        self.plan = runs.reducible_run(store, quarter, run_id)
        self.summary = ReduceSummary(quarter, self.plan.run_id)
        # One switch for the run: map planned it (NAMING_KEYWORD_FALLBACK), reduce follows.
        self.keyword_fallback = bool(self.plan.settings.get("keyword_fallback", False))

    async def run(self) -> ReduceSummary:
        manifest = runs.read_manifest(self.store, self.quarter, self.plan.run_id)
        if manifest.get("state") == runs.REDUCED:
            return self._reduced_before(manifest)
        topics, procedure = set_aside(read_firm_topics(self.store, self.plan))
        summary = self.summary
        summary.procedure = procedure_counts(procedure)
        summary.topics = len(topics)
        summary.firms = len(topics.rows["firm_id"].unique())
        log.info(
            "reduce %s run %s: %d topic(s) of %d firm(s)",
            self.quarter,
            summary.run_id,
            summary.topics,
            summary.firms,
        )
        started = time.perf_counter()
        found = find_themes(topics, self.settings, self.quarter)
        summary.clustering_s = time.perf_counter() - started
        summary.themes, summary.in_themes = len(found.themes), found.in_themes
        summary.firm_specific = found.firm_specific
        summary.firm_specific_groups = found.firm_specific_groups
        summary.filler, summary.filler_groups = found.filler, found.filler_groups
        summary.unassigned = found.unassigned
        summary.oversized_themes = [asdict(kept) for kept in found.oversized]
        log.info(
            "reduce %s: %d theme(s) in %.1fs; %d topic(s) in themes, %d firm-specific, "
            "%d filler, %d unassigned",
            self.quarter,
            summary.themes,
            summary.clustering_s,
            summary.in_themes,
            summary.firm_specific,
            summary.filler,
            summary.unassigned,
        )
        started = time.perf_counter()
        labels = await self._name_all(found.themes, topics) if found.themes else []
        summary.naming_s = time.perf_counter() - started
        summary.quality = self._quality(topics, procedure, found, labels)
        if not summary.failures:
            if not found.themes:
                log.warning("reduce %s: no topic is shared by enough firms", self.quarter)
            themes = themes_table(found.themes, labels, summary.fallbacks)
            contributions = contributions_table(found.themes, topics.rows)
            companions = self._companions(found, topics)
            companions.update(self._exposure(contributions))
            keys = run_pair_keys(self.quarter, summary.run_id)
            summary.outputs = write_pair(
                self.store,
                keys,
                themes,
                contributions,
                summary.run_id,
                run_companions(self.quarter, summary.run_id, companions),
            )
            summary.outputs += publish(self.store, self.plan, themes, contributions, companions)
            self._register(themes, contributions)
        self._write_report()
        self._record(manifest)
        return summary

    def _reduced_before(self, manifest: dict[str, Any]) -> ReduceSummary:
        """Nothing to compute; publish the run again only if another became current since."""
        summary = self.summary
        summary.skipped = True
        for name, value in manifest.get("reduce", {}).get("counts", {}).items():
            setattr(summary, name, value)
        summary.report_uri = self.store.uri(
            layout.run_reduce_report_key(self.quarter, summary.run_id)
        )
        contributions_key, themes_key = run_pair_keys(self.quarter, summary.run_id)
        themes = self.store.read_parquet(themes_key)
        contributions = self.store.read_parquet(contributions_key)
        if runs.current_run(self.store, self.quarter) != summary.run_id:
            summary.outputs = publish(
                self.store,
                self.plan,
                themes,
                contributions,
                read_run_companions(self.store, self.quarter, summary.run_id),
            )
        self._register(themes, contributions)
        log.info("reduce %s: run %s was reduced before", self.quarter, summary.run_id)
        return summary

    def _companions(self, found: Partition, topics: QuarterTopics) -> dict[str, pa.Table]:
        """Each theme's quotes and the lineage to the previous quarter's current run."""
        current = QuarterThemes(
            self.quarter,
            [theme.theme_id for theme in found.themes],
            [theme.members for theme in found.themes],
            topics.unit,
        )
        try:
            lineage, previous_run = previous_lineage(
                self.store, current, self.settings.lineage_min_similarity
            )
            self.summary.lineage = lineage_counts(self.quarter, lineage, previous_run)
        except (InputError, ObjectNotFoundError) as error:
            # The previous quarter's outputs are not this run's to fix, and this run's themes
            # are named by now: publish them unlinked, and say why.
            log.error(
                "reduce %s: themes not linked to the previous quarter: %s", self.quarter, error
            )
            lineage = schemas.THEME_LINEAGE.empty_table()
            self.summary.lineage = {"error": f"{type(error).__name__}: {error}"}
        quotes = quotes_table(found.themes, topics.rows, self.settings.theme_quotes)
        return {"quotes": quotes, "lineage": lineage}

    def _register(self, themes: pa.Table, contributions: pa.Table) -> None:
        """The published run's themes into the registry (a no-op when registered already).
        The quarter's outputs are written by now: a registry problem is reported, and
        `reduce-worker register` redoes it."""
        try:
            self.summary.registry = registered(
                self.store, self.plan, themes, contributions, self.settings
            )
        except (InputError, ObjectNotFoundError, RegistryConflictError) as error:
            log.error("reduce %s: themes not registered: %s", self.quarter, error)
            self.summary.registry = {"error": f"{type(error).__name__}: {error}"}

    def _exposure(self, contributions: pa.Table) -> dict[str, pa.Table]:
        panel = exposure_table(self.store, self.plan, contributions)
        if panel is None:
            log.warning(
                "reduce %s: run %s has no sentence topics (mapped before map wrote them): "
                "no exposure panel",
                self.quarter,
                self.summary.run_id,
            )
            return {}
        self.summary.exposure = {
            "rows": panel.num_rows,
            "calls": len(panel["call_id"].unique()),
            "themes": len(panel["theme_id"].unique()),
        }
        return {"exposure": panel}

    async def _name_all(self, themes: list[Theme], topics: QuarterTopics) -> list[ThemeLabel]:
        shown = shown_topics(*(topics.rows[column].to_pylist() for column in SHOWN_COLUMNS))
        progress = Progress(f"reduce {self.quarter} themes named", len(themes), log)
        labels: dict[str, ThemeLabel] = {}
        nearby = contrasts(themes, shown)
        centroids = theme_centroids(
            [theme.members for theme in themes], topics.unit, topics.rows["n_docs"].to_numpy()
        )
        gate = NameGate(embed, centroids)

        async def one(client: LlmClient, own: int, theme: Theme) -> None:
            per_prompt = self.settings.theme_naming_topics
            central = [shown[i] for i in theme.members[: per_prompt + 1]]
            fit = gate.item(own)
            try:
                labels[theme.theme_id] = await name_theme(
                    client, central, theme.keywords, per_prompt, nearby[theme.theme_id], fit
                )
            except LlmConfigurationError:
                raise
            except (LlmError, AnswerRejectedError) as error:
                # No accepted answer: keyword phrases, in every run. No answer at all: only
                # where the plan allowed the fallback; elsewhere the run fails.
                if isinstance(error, AnswerRejectedError) or self.keyword_fallback:
                    log.warning(
                        "theme %s named by its keywords: %s: %s",
                        theme.theme_id,
                        type(error).__name__,
                        error,
                    )
                    labels[theme.theme_id] = keyword_label(
                        theme.keywords, theme.n_topics, theme.n_firms, fit
                    )
                    self.summary.fallbacks.append(theme.theme_id)
                    progress.advance(note=f"{theme.theme_id} named by its keywords")
                    return
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
            # Loaded before the first request, not by the first answer's check: that blocked
            # the event loop and every request behind it for ~40 s of a smoke run's naming.
            await asyncio.gather(client.ensure_ready(), asyncio.to_thread(embed, ["warm up"]))
            tasks = [
                asyncio.create_task(one(client, own, theme)) for own, theme in enumerate(themes)
            ]
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                self.summary.llm = client.stats.as_dict()
        self.summary.failures.sort(key=lambda failure: failure.theme_id)
        self.summary.fallbacks.sort()
        return [labels[theme.theme_id] for theme in themes if theme.theme_id in labels]

    def _quality(
        self,
        topics: QuarterTopics,
        procedure: pa.Table,
        found: Partition,
        labels: list[ThemeLabel],
    ) -> dict[str, Any]:
        """The quality measures of this result (`quality.measure`), for the report."""
        rows = pa.concat_tables([topics.rows, procedure.select(topics.rows.column_names)])
        firm_ids = rows["firm_id"].unique().to_pylist()
        named = len(labels) == len(found.themes)
        keyword_named = set(self.summary.fallbacks)
        views = [
            ThemeView(
                [int(i) for i in theme.members],
                labels[n].name if named else None,
                theme.keywords,
                labels[n].description if named and theme.theme_id not in keyword_named else None,
            )
            for n, theme in enumerate(found.themes)
        ]
        sentences = quarter_sentences(self.store, self.quarter, firm_ids)
        frame = rows.to_pandas()
        # Name fit compares names with the topics' centroids; procedure rows are not measured.
        frame["centroid"] = [*topics.unit, *([None] * procedure.num_rows)]
        return measure(frame, sentences, views, embed=embed)

    def _settings_used(self) -> dict[str, Any]:
        return {
            name: getattr(self.settings, name)
            for name in ReduceWorkerSettings.model_fields
            if name.startswith(("theme_", "lineage_")) or name == "min_theme_firms"
        }

    def _write_report(self) -> None:
        key = layout.run_reduce_report_key(self.quarter, self.summary.run_id)
        report = {
            **asdict(self.summary),
            "status": "failed" if self.summary.failures else "ok",
            "settings": self._settings_used(),
        }
        report.pop("report_uri")
        self.store.write_json(key, report)
        self.summary.report_uri = self.store.uri(key)

    def _record(self, manifest: dict[str, Any]) -> None:
        summary = self.summary
        counted = (
            "topics",
            "firms",
            "themes",
            "in_themes",
            "firm_specific",
            "filler",
            "unassigned",
        )
        runs.update_manifest(
            self.store,
            self.plan,
            state=runs.REDUCE_FAILED if summary.failures else runs.REDUCED,
            reduce={
                "counts": {name: getattr(summary, name) for name in counted},
                "seconds": {"clustering": summary.clustering_s, "naming": summary.naming_s},
                "llm": summary.llm,
                "settings": self._settings_used(),
                "failures": len(summary.failures),
                "outputs": summary.outputs,
                "report": summary.report_uri,
            },
            seeds={**manifest.get("seeds", {}), "theme_seed": self.settings.theme_seed},
            models={**manifest.get("models", {}), "llm_reduce": self.settings.llm_model},
        )
