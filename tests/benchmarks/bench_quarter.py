"""A quarter's map stage as 1 shard vs k shards here, and what 3,500 firms cost on AWS.

    uvx nox -s bench                         # 8 MAEC firms, 1 vs 2 shards (`-- quarter`)
    uvx nox -s bench -- --firms 12 --shards 3

It starts its own local cloud (moto + the LLM server), ingests the first N firms, warms the
LLM up, then runs `map-worker run --new-run` four times, in the order 1, k, k, 1 shards (all
in flight), and compares the map's own time (after Ray's start-up, which swings with the
machine's load). Both runs keep the same number of requests in flight, the local
server's slots (LLM_PARALLEL): one shard with all of them, k shards with a k-th each, as the
plan matches shards in flight x LLM_MAX_CONCURRENT to a fleet. Target: k shards no slower
than one (within 5%). From the one-shard run's per-firm rates (embedding + topic seconds,
topics per firm) and the fleet settings (`ftm_ops.quarter.projection`) it prints the
projected hours and GPU cost of 3,500 firms for 1 and 4 GPUs, and where more GPUs stop
helping. Results also go to .ftm/bench/quarter-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_map import warm_llm
from own_cloud import own_local_cloud

from ftm_local.llm_server import LocalLlmSettings
from ftm_ops.ingest import ingest
from ftm_ops.quarter.projection import ProjectionSettings, crossover, describe, project, table
from ftm_shared.config import FtmSettings, load_settings, read_settings
from ftm_shared.data import earnings_call_file
from ftm_shared.storage import ObjectStore

SLOWER_AT_MOST = 1.05
FLEETS = (1, 4)
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
        **report["totals"],
    }


def alternated(
    quarter: str, firms: int, shards: int, slots: int, work: Path
) -> list[dict[str, Any]]:
    """1, k, k, 1 shards: a drift in the machine's load weighs on both sides alike."""
    return [map_run(quarter, firms, n, slots, work) for n in (1, shards, shards, 1)]


def mean(runs: list[dict[str, Any]], key: str) -> float:
    return float(sum(run[key] for run in runs)) / len(runs)


def rates(run: dict[str, Any]) -> dict[str, float]:
    """Per-firm rates of a run: CPU seconds (embedding + topics, summed over firms) and topics."""
    firms = max(1, run["firms_done"])
    seconds = run["stage_seconds"]
    return {
        "cpu_s_per_firm": (seconds.get("embed", 0.0) + seconds.get("topics", 0.0)) / firms,
        "topics_per_firm": run["topics"] / firms,
        "attempts_per_topic": run["llm"].get("attempts", 0) / max(1, run["topics"]),
    }


def render(report: dict[str, Any]) -> str:
    one, many = report["one"], report["many"]
    k_shards = f"{many[0]['shards']} shards"

    def row(label: str, key: str, unit: str = " s") -> str:
        return f"  {label:24}{mean(one, key):>12.1f}{unit}{mean(many, key):>12.1f}{unit}"

    lines = [
        f"bench: {report['firms']} MAEC firms of {report['quarter']} on {report['cpus']} CPUs "
        f"(load average {report['load_before'][0]:.2f} before, "
        f"{report['load_after'][0]:.2f} after), {report['slots']} LLM slots; "
        "runs in the order 1, k, k, 1 shards, means shown",
        f"  {'':24}{'1 shard':>14}{k_shards:>14}",
        row("map (after Ray start)", "work_s"),
        row("end to end", "wall_s"),
        f"  {'each run (map)':24}"
        + "".join(f"{r['shards']} shard(s) {r['work_s']:.0f} s  " for r in report["runs"]),
        row("topics", "topics", "  "),
        f"  k shards / 1 shard: {report['ratio']:.2f} of the map's time (target <= "
        f"{SLOWER_AT_MOST})  {'PASS' if report['pass'] else 'FAIL'}",
        "",
        f"measured here (1 shard): {report['rates']['cpu_s_per_firm']:.2f} CPU s per firm for "
        f"embedding + topics, {report['rates']['topics_per_firm']:.1f} topics per firm "
        f"({report['rates']['attempts_per_topic']:.2f} LLM attempts per topic with the local "
        "model; the projection uses REQUESTS_PER_TOPIC)",
        f"projected for {report['projection']['firms']} firms "
        f"(VLLM_REQUEST_LATENCY_S={report['projection']['settings']['vllm_request_latency_s']}, "
        f"GPU_HOURLY_USD={report['projection']['settings']['gpu_hourly_usd']}):",
        *(f"  {line}" for line in report["projection"]["lines"]),
        report["projection"]["table"],
        f"more GPUs stop helping from {report['projection']['crossover']} GPU(s)",
        f"with room for {ROOMY_BATCH_VCPUS} Batch vCPUs (the batch module's max_vcpus):",
        report["projection"]["roomy_table"],
        f"more GPUs stop helping from {report['projection']['roomy_crossover']} GPU(s)",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=8, help="first N firms by id (default 8)")
    parser.add_argument("--shards", type=int, default=2, help="k (default 2)")
    parser.add_argument("--quarter", default="2017Q1")
    parser.add_argument("--output", type=Path, default=Path(".ftm/bench"))
    args = parser.parse_args()
    slots = read_settings(LocalLlmSettings).llm_parallel
    with own_local_cloud("ftm-bench-quarter-") as work:
        store = ObjectStore.from_settings(load_settings(FtmSettings))
        ingest(earnings_call_file(), args.quarter, store, firms=args.firms)
        warm_llm()
        load_before = os.getloadavg()
        done = alternated(args.quarter, args.firms, args.shards, slots, work)
        load_after = os.getloadavg()
    one = [run for run in done if run["shards"] == 1]
    many = [run for run in done if run["shards"] > 1]
    measured = rates(one[0])
    settings = ProjectionSettings(
        cpu_s_per_firm=measured["cpu_s_per_firm"], topics_per_firm=measured["topics_per_firm"]
    )
    ratio = mean(many, "work_s") / mean(one, "work_s")
    roomy = settings.model_copy(update={"batch_max_vcpus": ROOMY_BATCH_VCPUS})
    report = {
        "quarter": args.quarter,
        "firms": args.firms,
        "cpus": os.cpu_count(),
        "slots": slots,
        "load_before": load_before,
        "load_after": load_after,
        "runs": done,
        "one": one,
        "many": many,
        "ratio": ratio,
        "pass": ratio <= SLOWER_AT_MOST,
        "rates": measured,
        "projection": {
            "firms": settings.projection_firms,
            "settings": settings.model_dump(),
            "lines": [describe(project(settings, n), settings.projection_firms) for n in FLEETS],
            "table": table(settings),
            "crossover": crossover(settings),
            "roomy_table": table(roomy),
            "roomy_crossover": crossover(roomy),
        },
    }
    print(render(report))
    args.output.mkdir(parents=True, exist_ok=True)
    result = args.output / f"quarter-{time.strftime('%Y%m%d-%H%M%S')}.json"
    result.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"results: {result}")
    return 0 if report["pass"] and all(run["exit"] == 0 for run in done) else 1


if __name__ == "__main__":
    sys.exit(main())
