"""map-worker against a naive per-firm loop on the same MAEC firms: one run, ratios printed.

    uvx nox -s bench -- map               # 32 firms of 2017Q1; `-- map --firms 8` for a quick run

It starts its own local cloud (moto + the LLM server) in a temporary state folder, ingests the
first N firms of the quarter, times raw `SentenceTransformer.encode` on the sentences map keeps,
then runs the naive loop (naive_map.py) and `map-worker run`, each as a process of its own
against the same server. Target: map >= 1.5x faster end to end. (The embedding target, map's
workers against plain encode in as many processes, is `nox -s bench`'s: here the map's
workers share the cores with the local LLM server.) It also prints how close map's naming
stage comes to the ceiling of batched decoding (`nox -s bench -- decode` at the server's
LLM_PARALLEL). The results also go to .ftm/bench/map-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from batch_decode_ceiling import ceiling
from naive_map import read_firms
from own_cloud import own_local_cloud

from ftm_local.llm_server import LocalLlmSettings
from ftm_ops.ingest import ingest
from ftm_shared.config import load_settings, read_settings
from ftm_shared.data import earnings_call_file
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings

HERE = Path(__file__).parent
RATIO_TARGET = 1.5


def raw_encode_rate(texts: list[str], batch_size: int) -> float:
    """Sentences/s of one plain `encode` call over every sentence (model loaded, warmed up)."""
    from ftm_shared.embedding import load_model

    model = load_model()
    model.encode(texts[:batch_size], batch_size=batch_size)
    started = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    return len(texts) / (time.perf_counter() - started)


def warm_llm() -> None:
    """One tiny request, so neither contender pays the server's first-request start-up."""
    body = {
        "model": os.environ["LLM_MODEL"],
        "messages": [{"role": "user", "content": "Hello"}],
        "max_tokens": 4,
    }
    url = f"{os.environ['LLM_BASE_URL']}/chat/completions"
    httpx.post(url, json=body, timeout=120).raise_for_status()


# llama.cpp's per-request timings in the server log: where the LLM's own time went.
PERF = re.compile(r"(prompt eval|eval|total) time = +([\d.]+) ms")


def server_seconds(log: Path, offset: int) -> dict[str, float]:
    """Prompt evaluation, decoding and total request seconds the server logged after `offset`."""
    with log.open(encoding="utf-8", errors="replace") as text:
        text.seek(offset)
        found = PERF.findall(text.read())
    return {
        f"{kind.replace(' ', '_')}_s": sum(float(ms) for name, ms in found if name == kind) / 1000
        for kind in ("prompt eval", "eval", "total")
    }


def timed(command: list[str], result_file: Path, server_log: Path) -> dict[str, Any]:
    """Run a contender to completion: its own JSON result, its end-to-end wall seconds and the
    LLM server's seconds on its requests."""
    offset = server_log.stat().st_size
    started = time.perf_counter()
    code = subprocess.run(command, check=False).returncode
    wall = time.perf_counter() - started
    if not result_file.is_file():
        raise RuntimeError(f"{' '.join(command[:3])} exited {code} without writing {result_file}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    # map-worker's summary has one entry per shard; "totals" is the run's, as the loop's.
    result = result.get("totals", result)
    return {**result, "wall_s": wall, "exit": code, "server": server_seconds(server_log, offset)}


def render(report: dict[str, Any]) -> str:
    naive, mapped = report["naive"], report["map"]
    stages = ["startup", "embed", "topics", "naming"]

    def row(label: str, left: object, right: object) -> str:
        return f"  {label:<26}{left!s:>16}{right!s:>16}"

    def seconds(side: dict[str, Any], stage: str) -> str:
        return f"{side['stage_seconds'].get(stage, 0.0):.1f} s"

    def server(side: dict[str, Any], key: str) -> str:
        return f"{side['server'][key]:.1f} s"

    def tokens(side: dict[str, Any]) -> str:
        return f"{side['llm']['prompt_tokens']}/{side['llm']['completion_tokens']}"

    lines = [
        f"bench_map: {report['firms']} MAEC firms of {report['quarter']}, "
        f"{report['documents']} sentences; {report['cpus']} CPUs, load average "
        f"{report['load_before'][0]:.2f} before, {report['load_after'][0]:.2f} after",
        row("", "naive loop", "map-worker"),
        row("end to end", f"{naive['wall_s']:.1f} s", f"{mapped['wall_s']:.1f} s"),
        row("firms/min", f"{naive['firms_per_min']:.2f}", f"{mapped['firms_per_min']:.2f}"),
        *(row(f"  {stage}", seconds(naive, stage), seconds(mapped, stage)) for stage in stages),
        row("topics", naive["topics"], mapped["topics"]),
        row("naming failures", naive["naming_failures"], mapped["naming_failures"]),
        row("LLM requests", naive["llm"]["requests"], mapped["llm"]["requests"]),
        row("LLM tokens in/out", tokens(naive), tokens(mapped)),
        row("server: prompt eval", server(naive, "prompt_eval_s"), server(mapped, "prompt_eval_s")),
        row("server: decode", server(naive, "eval_s"), server(mapped, "eval_s")),
        row("server: requests total", server(naive, "total_s"), server(mapped, "total_s")),
        row("embed sentences/s", f"{naive['embed_rate']:.0f}", f"{mapped['embed_rate']:.0f}"),
        f"  (map: startup, embed and naming are wall time; topics are summed over its workers;"
        f" raw encode {report['raw_encode_rate']:.0f} sentences/s)",
        f"  naming stage naive/map {report['naming_ratio']:.2f}x against a batched-decoding "
        f"ceiling of {report['decode_ceiling']:.2f}x at LLM_PARALLEL={report['parallel']} "
        f"({report['naming_ratio'] / report['decode_ceiling']:.0%} of it)",
    ]
    for name, target in report["targets"].items():
        verdict = "PASS" if target["pass"] else "FAIL"
        lines.append(
            f"  {name:<26}{target['value']:>10.2f}  (target >= {target['target']})  {verdict}"
        )
    return "\n".join(lines)


def with_rates(side: dict[str, Any], firms: int) -> dict[str, Any]:
    embed_s = side["stage_seconds"]["embed"]
    return {
        **side,
        "firms_per_min": firms / side["wall_s"] * 60,
        "embed_rate": side["documents"] / embed_s if embed_s else 0.0,
    }


def measure(quarter: str, firms: int, work: Path, server_log: Path) -> dict[str, Any]:
    settings = load_settings(MapWorkerSettings)  # the sentence tuning map-worker will use
    store = ObjectStore.from_settings(settings)
    ingest(earnings_call_file(), quarter, store, firms=firms)
    texts = [text for firm in read_firms(store, quarter, firms, settings) for text in firm.texts]
    load_before = os.getloadavg()
    raw_rate = raw_encode_rate(texts, settings.embedding_batch_size)
    warm_llm()
    range_args = ["--quarter", quarter, "--firms", str(firms)]
    naive = timed(
        [
            sys.executable,
            str(HERE / "naive_map.py"),
            *range_args,
            "--json",
            str(work / "naive.json"),
        ],
        work / "naive.json",
        server_log,
    )
    mapped = timed(
        [
            *(sys.executable, "-m", "map_worker", "run", *range_args),
            *("--new-run", "--summary-json", str(work / "map.json")),
        ],
        work / "map.json",
        server_log,
    )
    mapped["naming_failures"] = sum(f["stage"] == "naming" for f in mapped["failures"])
    naive, mapped = with_rates(naive, firms), with_rates(mapped, firms)
    ratio = naive["wall_s"] / mapped["wall_s"]
    parallel = read_settings(LocalLlmSettings).llm_parallel
    return {
        "quarter": quarter,
        "firms": firms,
        "documents": len(texts),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "raw_encode_rate": raw_rate,
        "parallel": parallel,
        "naming_ratio": naive["stage_seconds"]["naming"] / mapped["stage_seconds"]["naming"],
        "decode_ceiling": ceiling(parallel),
        "naive": naive,
        "map": mapped,
        "targets": {
            "end-to-end ratio": {
                "value": ratio,
                "target": RATIO_TARGET,
                "pass": ratio >= RATIO_TARGET,
            },
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=32, help="first N firms by id (default 32)")
    parser.add_argument("--quarter", default="2017Q1")
    parser.add_argument("--output", type=Path, default=Path(".ftm/bench"))
    args = parser.parse_args()
    with own_local_cloud("ftm-bench-map-") as work:
        report = measure(args.quarter, args.firms, work, work.parent / "llm.log")
    print(render(report))
    args.output.mkdir(parents=True, exist_ok=True)
    result = args.output / f"map-{time.strftime('%Y%m%d-%H%M%S')}.json"
    result.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"results: {result}")
    return 0 if all(target["pass"] for target in report["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
