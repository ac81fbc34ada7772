"""LLM client throughput vs a plain saturating load: same server, same prompts, one run.

    uvx nox -s bench -- llm         # starts a local llama.cpp server unless LLM_BASE_URL is set
    LLM_PARALLEL=16 uvx nox -s bench -- llm    # the local server with 16 slots

Targets: the client (LLM_MAX_CONCURRENT=10) reaches >= 90% of the saturating throughput with
zero schema failures; the local server's saturating rate is >= 2x that of the llama-cpp-python
server it replaced, on the same prompts. The plain load is bare HTTP with the same request
body, many in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ftm_local.llm_server import env_for, start_llm
from ftm_local.process import stop_process
from ftm_shared.data import earnings_call_file
from ftm_shared.llm import LlmClient, LlmConfig
from ftm_shared.llm.client import response_format
from ftm_shared.llm.workload import Messages, TopicName, maec_naming_prompts

MAX_TOKENS = 160
# The llama-cpp-python 0.3.36 server it replaced (one request at a time, JSON grammar sampled
# lazily, 1 thread) on these 24 prompts at 32 in flight, 2 CPUs at load average 6.1, measured
# 2026-11-30 (3 of 24 answers off-schema): the 2x target's base. Its best number here; the
# README lists the other pairs measured.
REPLACED_SERVER_RATE = 0.204
SERVER_TARGET = 2.0


def request_body(config: LlmConfig, messages: Messages) -> dict[str, object]:
    return {
        "model": config.model,
        "messages": messages,
        "response_format": response_format(config.response_format, TopicName),
        "max_tokens": MAX_TOKENS,
        "temperature": 0.0,
    }


async def plain_load(
    config: LlmConfig, prompts: list[Messages], in_flight: int
) -> tuple[float, int]:
    """Requests/s and schema failures with `in_flight` bare requests always outstanding."""
    queue: asyncio.Queue[Messages] = asyncio.Queue()
    for prompt in prompts:
        queue.put_nowait(prompt)
    failures = 0

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            prompt = queue.get_nowait()
            response = await http.post(
                f"{config.base_url}/chat/completions", json=request_body(config, prompt)
            )
            response.raise_for_status()
            try:
                TopicName.model_validate_json(response.json()["choices"][0]["message"]["content"])
            except ValueError:
                failures += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=600) as http:
        await asyncio.gather(*(worker(http) for _ in range(in_flight)))
    return len(prompts) / (time.perf_counter() - started), failures


async def through_client(config: LlmConfig, prompts: list[Messages]) -> tuple[float, int, str]:
    async with LlmClient(config) as client:
        await client.ensure_ready()
        started = time.perf_counter()
        results = await asyncio.gather(
            *(client.structured(p, TopicName, max_tokens=MAX_TOKENS) for p in prompts),
            return_exceptions=True,
        )
        rate = len(prompts) / (time.perf_counter() - started)
        return rate, sum(isinstance(r, BaseException) for r in results), client.stats.summary()


async def measure(
    config: LlmConfig, prompts: list[Messages], in_flight: int, *, local: bool
) -> int:
    await plain_load(config, prompts[:3], 1)  # warm the server's caches before timing
    plain_rate, plain_failures = await plain_load(config, prompts, in_flight)
    client_rate, client_failures, summary = await through_client(config, prompts)
    ratio = client_rate / plain_rate
    print(f"prompts: {len(prompts)} naming requests (MAEC sentences), max_tokens {MAX_TOKENS}")
    print(
        f"plain saturating load ({in_flight} in flight): {plain_rate:6.2f} req/s, "
        f"{plain_failures} schema failures"
    )
    print(
        f"ftm client (LLM_MAX_CONCURRENT={config.max_concurrent}):       {client_rate:6.2f} req/s, "
        f"{client_failures} failures"
    )
    print(summary)
    verdict = ratio >= 0.9 and client_failures == 0
    print(
        f"ratio client/plain: {ratio:.3f}  (target >= 0.90, zero failures): "
        f"{'MET' if verdict else 'NOT MET'}"
    )
    if local and len(prompts) == 24:
        gain = plain_rate / REPLACED_SERVER_RATE
        met = gain >= SERVER_TARGET
        verdict = verdict and met
        print(
            f"server vs llama-cpp-python's ({REPLACED_SERVER_RATE:.2f} req/s): {gain:.2f}x  "
            f"(target >= {SERVER_TARGET:.1f}x): {'MET' if met else 'NOT MET'}"
        )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0 if verdict else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=24)
    parser.add_argument("--in-flight", type=int, default=32)
    args = parser.parse_args()
    prompts = maec_naming_prompts(earnings_call_file(), args.prompts)
    if os.environ.get("LLM_BASE_URL"):
        config = LlmConfig(
            base_url=os.environ["LLM_BASE_URL"],
            model=os.environ["LLM_MODEL"],
            response_format=os.environ.get("LLM_RESPONSE_FORMAT", "json_schema"),  # type: ignore[arg-type]
        )
        return asyncio.run(measure(config, prompts, args.in_flight, local=False))
    record = start_llm(Path(tempfile.mkdtemp(prefix="ftm-bench-")))
    try:
        env = env_for(record.url)
        config = LlmConfig(
            env["LLM_BASE_URL"],
            env["LLM_MODEL"],
            response_format=env["LLM_RESPONSE_FORMAT"],  # type: ignore[arg-type]
        )
        return asyncio.run(measure(config, prompts, args.in_flight, local=True))
    finally:
        stop_process(record.pid)


if __name__ == "__main__":
    sys.exit(main())
