"""ftm's own topics and themes on a provided quarter, as the quality and lineage benchmarks
measure them: map-worker's topics (`call_topics`) on MiniLM embeddings cached under
FTM_CACHE_DIR/quality, and reduce-worker's themes with the default settings."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ftm_ops.ingest import merge_firm_metadata, source_firm_metadata, to_contract
from ftm_shared.data import earnings_call_file
from ftm_shared.embedding import embed
from ftm_shared.models import cache_dir
from map_worker.config import TopicTuning
from map_worker.documents import FirmDocuments, quarter_words
from map_worker.keywords import QuarterWords
from map_worker.topics import Topic, call_topics
from reduce_worker.clustering import unit_rows
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.themes import Partition, quarter_themes


def sample_firms(frame: pd.DataFrame, n: int | None, seed: int) -> list[str]:
    firms = sorted(frame["firm_id"].unique())
    return firms if n is None or n >= len(firms) else sorted(random.Random(seed).sample(firms, n))


def cached_embeddings(firm: FirmDocuments, quarter: str) -> np.ndarray:
    digest = hashlib.sha256("\n".join(firm.texts).encode()).hexdigest()[:16]
    path = cache_dir() / "quality" / quarter / f"{firm.firm_id}-{digest}.npy"
    if path.is_file():
        return np.asarray(np.load(path), dtype=np.float32)
    vectors = embed(firm.texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return np.asarray(vectors, dtype=np.float32)


def row(firm: FirmDocuments, topic: Topic, name: str | None = None) -> dict[str, Any]:
    return {
        "firm_id": firm.firm_id,
        "topic_id": topic.topic_id,
        "keywords": topic.keywords,
        "representative_docs": topic.representative_docs,
        "n_docs": topic.n_docs,
        "name": name,
        "summary": None,
        "naming_method": "procedure" if topic.topic_id < 0 else None,
        "centroid": topic.centroid,
    }


def ftm_themes(content: pd.DataFrame, quarter: str) -> Partition:
    unit = unit_rows(np.stack(content["centroid"].to_numpy()))
    settings = ReduceWorkerSettings.model_construct(**defaults(ReduceWorkerSettings))
    return quarter_themes(
        unit,
        content["firm_id"].to_numpy(),
        list(content["keywords"]),
        settings,
        quarter,
        list(content["representative_docs"]),
    )


def defaults(settings: type[ReduceWorkerSettings]) -> dict[str, Any]:
    """The settings' defaults, without reading the environment (no bucket needed here)."""
    return {
        name: field.default
        for name, field in settings.model_fields.items()
        if field.default is not None
    }


def quarter_source(
    quarter: str, file: str = "maec_2017h1_sentences.parquet"
) -> tuple[pd.DataFrame, pa.Table, QuarterWords]:
    """The provided file's rows of the quarter, as ingest's contract, and its words (what
    map's keywords are weighed against)."""
    path = earnings_call_file(file)
    frame = pd.read_parquet(path)
    frame = frame[frame["quarter"] == quarter]
    table = to_contract(path, frame, merge_firm_metadata(source_firm_metadata(frame)))
    return frame, table, quarter_words(table)


def ftm_topic_rows(
    firm: FirmDocuments,
    vectors: np.ndarray,
    tuning: TopicTuning,
    prototypes: np.ndarray,
    words: QuarterWords,
) -> list[dict[str, Any]]:
    """The firm's topics as map-worker finds them (procedure row included)."""
    return [
        row(firm, topic)
        for topic in call_topics(
            firm.texts, firm.speakers, vectors, tuning, prototypes=prototypes, quarter=words
        )
    ]
