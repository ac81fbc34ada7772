"""A quarter's map stage measured here in the steady state, and what 3,500 firms cost on AWS.

    uvx nox -s bench                          # 32 MAEC firms as 2 shards (`-- quarter`)
    uvx nox -s bench -- --against-one-shard   # also 1 vs k shards: runs 1, k, k, 1
    uvx nox -s bench -- --firms 48 --shards 3

It starts its own local cloud (moto + the LLM server), ingests the first N firms, warms the
LLM up and runs `map-worker run --new-run` as k shards (all in flight, sharing the server's
slots, LLM_PARALLEL, as the plan matches shards in flight x LLM_MAX_CONCURRENT to a fleet).
Here the local LLM server names on the same cores, so it then passes the same firms through
the map's topic workers alone (`WorkerPool`, `firm_topics`: what a shard job's vCPUs see on
AWS, where vLLM has a GPU box of its own). For both it prints the steady-state per-firm rates,
each worker's first firm left out (median and p90), with start-up apart
(`ftm_ops.quarter.rates`). It encodes the same sentences with plain
`SentenceTransformer.encode` in as many processes as the map had workers, each with a
worker's threads, and compares the map's embedding throughput with it (target: at least 0.8).
The projection of 3,500 firms (`ftm_ops.quarter.projection`) takes the workers' start-up once
per shard job and the steady-state mean per firm, for 1, 2, 4 and 8 GPUs. With
`--against-one-shard` the map runs four times, 1, k, k, 1 shards, and k shards must be no
slower than one (within 5%). The load average is recorded before and after. Results also go
to .ftm/bench/quarter-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import ray
from bench_map import warm_llm
from naive_map import read_firms
from own_cloud import own_local_cloud

from ftm_local.llm_server import LocalLlmSettings
from ftm_ops.ingest import ingest
from ftm_ops.quarter.projection import ProjectionSettings, crossover, describe, project, table
from ftm_ops.quarter.rates import SteadyRates
from ftm_shared.config import load_settings, read_settings
from ftm_shared.data import earnings_call_file
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings
from map_worker.documents import FirmDocuments
from map_worker.pool import WorkerPool

SLOWER_AT_MOST = 1.05
EMBED_TARGET = 0.8
FLEETS = (1, 2, 4, 8)
ROOMY_BATCH_VCPUS = 512


def map_run(quarter: str, firms: int, shards: int, slots: int, work: Path) -> dict[str, Any]:
    """`map-worker run` of the quarter as `shards` shards sharing the server's `slots`."""
    summary = work / f"map-{shards}.json"
    env = {
        **os.environ,
        # A topic the small local model cannot name gets its keywords: no firm fails, so both
        # runs do the same work and the policy never stops one.
        "NAMING_KEYWORD_FALLBACK": "true",
        "MAP_SHARD_FIRMS": str(math.ceil(firms / shards)),
        "VLLM_INSTANCES": "1",
        "VLLM_CONCURRENCY_PER_INSTANCE": str(slots),
        "LLM_MAX_CONCURRENT": str(max(1, slots // shards)),
    }
    command = [sys.executable, "-m", "map_worker", "run", "--quarter", quarter]
    started = time.perf_counter()
    code = subprocess.run(
        [*command, "--new-run", "--summary-json", str(summary)], env=env, check=False
    ).returncode
    wall = time.perf_counter() - started
    if not summary.is_file():
        raise RuntimeError(f"map-worker exited {code} without writing {summary}")
    report = json.loads(summary.read_text(encoding="utf-8"))
    # The map's own time: Ray's start-up is the same for both and swings with the machine's load.
    work = report["seconds"] - report["startup_s"]
    return {
        "shards": len(report["shards"]),
        "wall_s": wall,
        "work_s": work,
        "exit": code,
        "worker_startup_s": report["worker_startup_s"],
        "steady": asdict(SteadyRates.from_summary(report)),
        "summary": report,
        **report["totals"],
    }


def runs(
    quarter: str, firms: int, shards: int, slots: int, work: Path, against_one: bool
) -> list[dict[str, Any]]:
    """k shards once; against one shard 1, k, k, 1, so a drift in the machine's load weighs
    on both sides alike."""
    order = (1, shards, shards, 1) if against_one else (shards,)
    return [map_run(quarter, firms, n, slots, work) for n in order]


def mean(runs: list[dict[str, Any]], key: str) -> float:
    return float(sum(run[key] for run in runs)) / len(runs)


def against_one_shard(done: list[dict[str, Any]]) -> float:
    """k shards' mean map time over one shard's."""
    one = [run for run in done if run["shards"] == 1]
    many = [run for run in done if run["shards"] > 1]
    return mean(many, "work_s") / mean(one, "work_s")


def _encode_share(texts: list[str], threads: int, batch_size: int) -> float:
    """One process's plain encode of its share (model loaded and warmed first): its seconds."""
    import torch

    from ftm_shared.embedding import load_model

    torch.set_num_threads(threads)
    model = load_model()
    model.encode(texts[:batch_size], batch_size=batch_size)
    started = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    return time.perf_counter() - started


def plain_encode_rate(texts: list[str], processes: int, threads: int, batch_size: int) -> float:
    """Sentences/s of plain `encode` calls over `texts` in `processes` processes at once (as
    many as the map's topic workers, each with a worker's threads)."""
    shares = [texts[i::processes] for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        seconds = pool.starmap(_encode_share, [(share, threads, batch_size) for share in shares])
    return len(texts) / max(seconds)


def topics_alone(settings: MapWorkerSettings, firms: list[FirmDocuments]) -> dict[str, Any]:
    """The map's own topic path (its Ray workers, firm by firm, `firm_topics`) with no naming
    beside it, as a map-worker run's summary would record it. In the map run the local LLM
    server shares these cores; on AWS it has a GPU box of its own, so these are the rates a
    shard job's vCPUs see."""

    async def measure() -> dict[str, Any]:
        pool = await WorkerPool.start(settings)
        try:

            async def one(firm: FirmDocuments) -> dict[str, Any]:
                async with pool.lend() as worker:
                    work = await worker.firm_topics.remote(firm.texts, firm.speakers)
                return {
                    "sentences": len(firm.texts),
                    **{k: getattr(work, k) for k in ("embed_s", "topics_s", "worker", "nth")},
                }

            costs = await asyncio.gather(*(one(firm) for firm in firms))
            return {
                "shards": [{"firm_costs": list(costs)}],
                "worker_startup_s": pool.worker_startup_s,
                "startup_s": pool.startup_s,
            }
        finally:
            pool.stop()
            ray.shutdown()  # its node would take CPU from the plain encode that follows

    return asyncio.run(measure())


def embedding_comparison(
    in_run: SteadyRates,
    alone: SteadyRates,
    workers: int,
    settings: MapWorkerSettings,
    texts: list[str],
) -> dict[str, Any]:
    """The map's embedding throughput in its workers, alone and as it ran beside naming,
    against plain encode of the same sentences in the same process count."""
    threads = max(1, int(settings.ray_cpus_per_worker))
    plain = plain_encode_rate(texts, workers, threads, settings.embedding_batch_size)
    mapped = alone.embed_sentences_per_s * workers
    beside = in_run.embed_sentences_per_s * workers
    return {
        "workers": workers,
        "plain": plain,
        "map": mapped,
        "ratio": mapped / plain,
        "map_beside_naming": beside,
        "ratio_beside_naming": beside / plain,
    }


def render(report: dict[str, Any]) -> str:
    in_run = SteadyRates.from_summary(report["runs"][-1]["summary"])
    alone = SteadyRates.from_summary(report["alone"])
    embedding = report["embedding"]
    lines = [
        f"bench: {report['firms']} MAEC firms of {report['quarter']} on {report['cpus']} CPUs "
        f"(load average {report['load_before'][0]:.2f} before, "
        f"{report['load_after'][0]:.2f} after), {report['slots']} LLM slots",
        "  "
        + "; ".join(
            f"{r['shards']} shard(s): map {r['work_s']:.0f} s after Ray's start, "
            f"{r['wall_s']:.0f} s end to end, {r['topics']} topics"
            for r in report["runs"]
        ),
        "in the map run (the local LLM server naming on the same cores):",
        *in_run.lines(),
        "the map's topic workers alone (what a shard job's vCPUs see; the projection's rates):",
        *alone.lines(),
        f"embedding throughput: map's workers {embedding['map']:.1f} sentences/s on "
        f"{embedding['workers']} worker(s), plain encode {embedding['plain']:.1f} in as many "
        f"processes: {embedding['ratio']:.2f} (target >= {EMBED_TARGET})  "
        f"{'PASS' if embedding['ratio'] >= EMBED_TARGET else 'FAIL'}",
        f"  in the map run, beside the local LLM server on the same cores: "
        f"{embedding['map_beside_naming']:.1f} sentences/s ({embedding['ratio_beside_naming']:.2f}"
        " of plain)",
        f"topics per firm {report['rates']['topics_per_firm']:.1f}, LLM attempts per topic "
        f"{report['rates']['attempts_per_topic']:.2f} with the local model (the projection uses "
        "REQUESTS_PER_TOPIC)",
    ]
    ratio = report["shards_ratio"]
    if ratio is not None:
        lines.append(
            f"k shards / 1 shard: {ratio:.2f} of the map's time, means of 1, k, k, 1 "
            f"(target <= {SLOWER_AT_MOST})  {'PASS' if ratio <= SLOWER_AT_MOST else 'FAIL'}"
        )
    projection = report["projection"]
    lines += [
        "",
        f"projected for {projection['firms']} firms "
        f"(CPU_S_PER_FIRM={projection['settings']['cpu_s_per_firm']:.2f} steady mean, "
        f"WORKER_STARTUP_S={projection['settings']['worker_startup_s']:.0f}, "
        f"VLLM_REQUEST_LATENCY_S={projection['settings']['vllm_request_latency_s']}, "
        f"GPU_HOURLY_USD={projection['settings']['gpu_hourly_usd']}):",
        *(f"  {line}" for line in projection["lines"]),
        projection["table"],
        f"more GPUs stop helping from {projection['crossover']} GPU(s)",
        f"with room for {ROOMY_BATCH_VCPUS} Batch vCPUs (the batch module's max_vcpus):",
        projection["roomy_table"],
        f"more GPUs stop helping from {projection['roomy_crossover']} GPU(s)",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=32, help="first N firms by id (default 32)")
    parser.add_argument("--shards", type=int, default=2, help="k (default 2)")
    parser.add_argument(
        "--against-one-shard", action="store_true", help="also run 1 shard: 1, k, k, 1"
    )
    parser.add_argument("--quarter", default="2017Q1")
    parser.add_argument("--output", type=Path, default=Path(".ftm/bench"))
    args = parser.parse_args()
    slots = read_settings(LocalLlmSettings).llm_parallel
    with own_local_cloud("ftm-bench-quarter-") as work:
        settings = load_settings(MapWorkerSettings)
        store = ObjectStore.from_settings(settings)
        ingest(earnings_call_file(), args.quarter, store, firms=args.firms)
        firms = read_firms(store, args.quarter, args.firms, settings)
        warm_llm()
        load_before = os.getloadavg()
        done = runs(args.quarter, args.firms, args.shards, slots, work, args.against_one_shard)
        load_after = os.getloadavg()
    last = done[-1]
    alone_summary = topics_alone(settings, firms)
    alone = SteadyRates.from_summary(alone_summary)
    embedding = embedding_comparison(
        SteadyRates.from_summary(last["summary"]),
        alone,
        len(alone_summary["worker_startup_s"]),
        settings,
        [text for firm in firms for text in firm.texts],
    )
    topics = max(1, last["topics"])
    settings_now = ProjectionSettings(
        cpu_s_per_firm=alone.cpu_s.mean,
        worker_startup_s=alone.ray_startup_s,
        topics_per_firm=last["topics"] / max(1, last["firms_done"]),
    )
    roomy = settings_now.model_copy(update={"batch_max_vcpus": ROOMY_BATCH_VCPUS})
    shards_ratio = against_one_shard(done) if args.against_one_shard else None
    report = {
        "quarter": args.quarter,
        "firms": args.firms,
        "cpus": os.cpu_count(),
        "slots": slots,
        "load_before": load_before,
        "load_after": load_after,
        "shards_ratio": shards_ratio,
        "runs": done,
        "alone": alone_summary,
        "embedding": embedding,
        "rates": {
            "topics_per_firm": settings_now.topics_per_firm,
            "attempts_per_topic": last["llm"].get("attempts", 0) / topics,
        },
        "projection": {
            "firms": settings_now.projection_firms,
            "settings": settings_now.model_dump(),
            "lines": [
                describe(project(settings_now, n), settings_now.projection_firms) for n in FLEETS
            ],
            "table": table(settings_now, FLEETS),
            "crossover": crossover(settings_now),
            "roomy_table": table(roomy, FLEETS),
            "roomy_crossover": crossover(roomy),
        },
    }
    print(render(report))
    args.output.mkdir(parents=True, exist_ok=True)
    result = args.output / f"quarter-{time.strftime('%Y%m%d-%H%M%S')}.json"
    result.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"results: {result}")
    passed = embedding["ratio"] >= EMBED_TARGET and all(run["exit"] == 0 for run in done)
    return 0 if passed and (shards_ratio or 0) <= SLOWER_AT_MOST else 1


if __name__ == "__main__":
    sys.exit(main())
