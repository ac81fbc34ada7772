"""Naming for the quality benchmark: ftm's topics and themes named through an LLM server as
map-worker and reduce-worker name them, with progress (done/total, ETA) every 30 s."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ftm_local.llm_server import env_for, start_llm
from ftm_local.process import stop_process
from ftm_shared.embedding import embed
from ftm_shared.progress import Progress
from map_worker.topics import Topic
from reduce_worker.quality import ThemeView
from reduce_worker.themes import Partition, Theme

LOG = logging.getLogger("quality.names")


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


async def named(
    rows: pd.DataFrame, content: pd.DataFrame, found: Partition
) -> tuple[pd.DataFrame, list[ThemeView], dict[str, float]]:
    """ftm's topics and themes named as map and reduce name them: each name held to fit its
    own topic (among its firm's) or theme (among the quarter's), keyword phrases where no
    answer fits. A topic or theme the LLM gives no usable answer for at all is named by its
    keyword phrases too, as the smoke run names it (NAMING_KEYWORD_FALLBACK), and counted."""
    from ftm_shared.config import load_settings
    from ftm_shared.llm import LlmClient, LlmError, LlmSettings
    from ftm_shared.llm.accept import AnswerRejectedError
    from ftm_shared.llm.fit import NameGate
    from map_worker.config import NamingTuning
    from map_worker.naming import keyword_naming, name_topic
    from reduce_worker.naming import SHOWN_COLUMNS, keyword_label, name_theme, shown_topics
    from reduce_worker.themes import contrasts, theme_centroids

    settings = load_settings(LlmSettings)
    topics_named = Progress("topics named", len(content), LOG, every_s=30)
    tuning = NamingTuning()
    failed: dict[str, float] = {
        "topics_no_answer": 0,
        "themes_no_answer": 0,
        "theme_keyword_names": 0,
    }
    firm_rows = content.groupby("firm_id", sort=False).indices
    gates = {
        firm: NameGate(embed, np.stack(content["centroid"].to_numpy()[index]))
        for firm, index in firm_rows.items()
    }
    position = {
        int(row): own for index in firm_rows.values() for own, row in enumerate(index.tolist())
    }

    async def topic_name(client: LlmClient, at: int, row: pd.Series) -> tuple[str, str, str]:
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
            failed["topics_no_answer"] += 1
            naming = keyword_naming(topic, tuning, fit)
        finally:
            topics_named.advance()
        return naming.name, naming.summary, naming.naming_method

    async with LlmClient(settings.llm_config()) as client:
        await client.ensure_ready()
        answers = await asyncio.gather(
            *(topic_name(client, at, r) for at, (_, r) in enumerate(content.iterrows()))
        )
        content = content.copy()
        content["name"] = [a[0] for a in answers]
        content["summary"] = [a[1] for a in answers]
        content["naming_method"] = [a[2] for a in answers]
        shown = shown_topics(*(content[column].tolist() for column in SHOWN_COLUMNS))
        nearby = contrasts(found.themes, shown)
        unit = np.stack(content["centroid"].to_numpy())
        members = [theme.members for theme in found.themes]
        gate = NameGate(embed, theme_centroids(members, unit, content["n_docs"].to_numpy()))
        themes_named = Progress("themes named", len(found.themes), LOG, every_s=30)

        async def theme_name(own: int, theme: Theme) -> tuple[str, str | None]:
            """The theme's name, and its description where an LLM answer was accepted."""
            central = [shown[i] for i in theme.members[:7]]
            fit = gate.item(own)
            try:
                label = await name_theme(
                    client, central, theme.keywords, 6, nearby[theme.theme_id], fit
                )
            except (AnswerRejectedError, LlmError) as error:
                no_answer = not isinstance(error, AnswerRejectedError)
                failed["themes_no_answer" if no_answer else "theme_keyword_names"] += 1
                fallback = keyword_label(theme.keywords, theme.n_topics, theme.n_firms, fit)
                return str(fallback.name), None
            finally:
                themes_named.advance()
            return str(label.name), str(label.description)

        theme_labels = await asyncio.gather(
            *(theme_name(own, theme) for own, theme in enumerate(found.themes))
        )
    fallbacks = failed["themes_no_answer"] + failed["theme_keyword_names"]
    failed["theme_llm_name_share"] = (
        round(1 - fallbacks / len(theme_labels), 4) if theme_labels else 0
    )
    procedure = rows[rows["topic_id"] < 0]
    views = [
        ThemeView([int(i) for i in theme.members], name, theme.keywords, description)
        for theme, (name, description) in zip(found.themes, theme_labels, strict=True)
    ]
    return pd.concat([content, procedure], ignore_index=True), views, failed
