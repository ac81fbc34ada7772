"""The naive baseline of bench_map.py: what a first script would do, firm after firm.

Per firm: its own embedding pass, the same tuned BERTopic model map-worker fits, then one LLM
request per topic with the one-topic prompt, one at a time. It reads the raw objects
map-worker reads, from the same local cloud, and talks to the same LLM server.

    python tests/benchmarks/naive_map.py --quarter 2017Q1 --firms 32 --json naive.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from ftm_shared.config import load_settings
from ftm_shared.embedding import embed, load_model
from ftm_shared.llm import LlmClient, LlmError
from ftm_shared.llm.accept import AnswerRejectedError
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings, TopicTuning
from map_worker.documents import FirmDocuments, group_by_firm, read_quarter
from map_worker.naming import name_topic
from map_worker.planning import Selection
from map_worker.runner import shard_rows
from map_worker.topics import firm_topics


def read_firms(
    store: ObjectStore, quarter: str, firms: int, tuning: TopicTuning
) -> list[FirmDocuments]:
    """The firms `map-worker run --firms N` selects, with the sentences it keeps."""
    table, _problems = read_quarter(store, quarter)
    present = sorted(set(table["firm_id"].to_pylist()))
    selected = shard_rows(table, Selection(firms=firms).apply(present))
    documents: list[FirmDocuments]
    documents, _firm_problems = group_by_firm(selected, tuning)
    return documents


async def naive_run(settings: MapWorkerSettings, firms: list[FirmDocuments]) -> dict[str, Any]:
    seconds = {"startup": 0.0, "embed": 0.0, "topics": 0.0, "naming": 0.0}
    started = time.perf_counter()
    load_model()
    seconds["startup"] = time.perf_counter() - started
    topics = failed = 0
    async with LlmClient(settings.llm_config()) as client:
        await client.ensure_ready()
        for done, firm in enumerate(firms, start=1):
            mark = time.perf_counter()
            vectors = embed(firm.texts, batch_size=settings.embedding_batch_size)
            seconds["embed"] += time.perf_counter() - mark
            mark = time.perf_counter()
            firm_topic_list = firm_topics(firm.texts, vectors, settings, seed=settings.topic_seed)
            seconds["topics"] += time.perf_counter() - mark
            mark = time.perf_counter()
            for topic in firm_topic_list:
                try:
                    await name_topic(client, topic, settings)
                except (LlmError, AnswerRejectedError):
                    failed += 1
            seconds["naming"] += time.perf_counter() - mark
            topics += len(firm_topic_list)
            print(f"naive: {done}/{len(firms)} firms, {topics} topics", flush=True)
        llm = client.stats.as_dict()
    return {
        "firms": len(firms),
        "documents": sum(len(firm.texts) for firm in firms),
        "topics": topics,
        "naming_failures": failed,
        "stage_seconds": seconds,
        "llm": llm,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarter", required=True)
    parser.add_argument("--firms", type=int, required=True)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    settings = load_settings(MapWorkerSettings)
    firms = read_firms(ObjectStore.from_settings(settings), args.quarter, args.firms, settings)
    result = asyncio.run(naive_run(settings, firms))
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
