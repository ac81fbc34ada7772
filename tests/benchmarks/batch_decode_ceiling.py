"""How much a batching LLM server could gain on this CPU: llama.cpp's `llama-batched-bench`
decoding B sequences together vs one, on the local Gemma 3 270M.

    uvx nox -s bench -- decode        # B = 1, 2, 4, 8, 16; `-- decode --batches 1,8` for fewer

The benchmark is built with the local server (`ftm_local.llama_build`), from the same
llama.cpp sources, so it measures the ceiling of the server that serves us.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from ftm_local.llama_build import ensure_built
from ftm_shared.models import local_llm_gguf

# About a naming request: a few hundred prompt tokens, a few dozen answer tokens.
PROMPT_TOKENS = 256
ANSWER_TOKENS = 64


def decode_rates(batches: list[int], threads: int | None = None) -> dict[int, float]:
    """Generated tokens/s with B sequences decoding together, for each B."""
    command = [
        str(ensure_built() / "llama-batched-bench"),
        *("--model", str(local_llm_gguf())),
        *("--ctx-size", str(max(batches) * (PROMPT_TOKENS + ANSWER_TOKENS))),
        *("--threads", str(threads or os.cpu_count() or 2)),
        *("-npp", str(PROMPT_TOKENS), "-ntg", str(ANSWER_TOKENS)),
        *("-npl", ",".join(map(str, batches)), "--output-format", "jsonl"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"llama-batched-bench exited {done.returncode}:\n{done.stderr[-2000:]}")
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {int(row["pl"]): float(row["speed_tg"]) for row in rows}


def ceiling(parallel: int) -> float:
    """Decoding throughput with `parallel` sequences together over one alone."""
    rates = decode_rates([1, parallel])
    return rates[parallel] / rates[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,2,4,8,16", help="comma-separated B values")
    args = parser.parse_args()
    batches = sorted({1, *(int(b) for b in args.batches.split(","))})
    rates = decode_rates(batches)
    print(
        f"llama.cpp batched decoding, Gemma 3 270M, {PROMPT_TOKENS} prompt + {ANSWER_TOKENS} "
        f"answer tokens per sequence; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}"
    )
    for batch in batches:
        print(f"B={batch:<3} {rates[batch]:7.1f} tokens/s ({rates[batch] / rates[1]:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
