"""The LLM client against a real llama.cpp server on 127.0.0.1 (Gemma 3 270M, CPU)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ftm_local.llm_server import env_for, start_llm
from ftm_local.process import ServerRecord, free_port, stop_process
from ftm_shared.llm import (
    LlmClient,
    LlmConfig,
    LlmConfigurationError,
    LlmUnavailableError,
    StructuredOutputError,
)
from ftm_shared.llm.workload import Messages, TopicName, maec_naming_prompts, naming_prompt

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def prompts(data_dir: Path) -> list[Messages]:
    """50 naming prompts from real MAEC calls: three consecutive sentences each."""
    return maec_naming_prompts(data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet", 50)


async def _name_all(client: LlmClient, prompts: list[Messages]) -> list[TopicName]:
    return await asyncio.gather(*(client.structured(p, TopicName, max_tokens=160) for p in prompts))


def test_fifty_concurrent_structured_calls(llm_config: LlmConfig, prompts: list[Messages]) -> None:
    async def run() -> tuple[list[TopicName], LlmClient]:
        async with LlmClient(llm_config) as client:
            return await _name_all(client, prompts), client

    results, client = asyncio.run(run())
    assert len(results) == 50 and all(isinstance(r, TopicName) for r in results)
    assert all(r.name.strip() for r in results)
    assert client.stats.requests == 50 and client.stats.failures == 0
    assert client.stats.recoveries == 0
    assert client.stats.completion_tokens > 0 and client.stats.latency_percentile(95) > 0


@pytest.fixture
def own_server(tmp_path: Path) -> tuple[Path, int]:
    """A server the test may kill: its folder and a fixed port to restart it on."""
    return tmp_path, free_port()


def _config_for(base: LlmConfig, record: ServerRecord, **changes: float) -> LlmConfig:
    return replace(base, base_url=env_for(record.url)["LLM_BASE_URL"], **changes)  # type: ignore[arg-type]


def test_calls_survive_a_server_restart_with_one_shared_wait(
    llm_config: LlmConfig,
    prompts: list[Messages],
    own_server: tuple[Path, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder, port = own_server
    record = start_llm(folder, port=port)
    config = _config_for(llm_config, record)

    async def run() -> tuple[list[TopicName], LlmClient, float]:
        async with LlmClient(config) as client:
            await client.ensure_ready()
            calls = asyncio.ensure_future(_name_all(client, prompts))
            await asyncio.sleep(2.0)
            assert not calls.done(), "the calls finished before the server was killed"
            stop_process(record.pid, grace_s=0)  # SIGKILL at once: a crash, not a shutdown
            killed_at = time.monotonic()
            await asyncio.sleep(10.0)
            restarted = await asyncio.to_thread(start_llm, folder, port=port)
            try:
                return await calls, client, time.monotonic() - killed_at
            finally:
                stop_process(restarted.pid)

    with caplog.at_level(logging.WARNING, logger="ftm_shared.llm"):
        results, client, _ = asyncio.run(run())
    assert len(results) == 50 and all(isinstance(r, TopicName) for r in results)
    stats = client.stats
    assert stats.failures == 0
    assert stats.recoveries >= 1
    assert stats.max_concurrent_pollers == 1
    assert stats.recovery_wait_s >= 9.0
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("LLM server unhealthy, waiting... (") for m in messages)
    assert any(m.startswith("LLM server recovered after ") for m in messages)


def test_server_that_never_returns_fails_every_caller_within_the_bound(
    llm_config: LlmConfig, prompts: list[Messages], own_server: tuple[Path, int]
) -> None:
    folder, port = own_server
    record = start_llm(folder, port=port)
    config = _config_for(llm_config, record, recovery_timeout_s=5.0)

    async def run() -> tuple[list[BaseException | TopicName], float, LlmClient]:
        async with LlmClient(config) as client:
            await client.ensure_ready()
            stop_process(record.pid, grace_s=0)
            started = time.monotonic()
            results = await asyncio.gather(
                *(client.structured(p, TopicName) for p in prompts[:20]), return_exceptions=True
            )
            return results, time.monotonic() - started, client

    results, elapsed, client = asyncio.run(run())
    assert all(isinstance(r, LlmUnavailableError) for r in results), results
    assert "did not recover within 5s" in str(results[0])
    assert elapsed < 5.0 + 3.0
    assert client.stats.max_concurrent_pollers == 1


def test_wrong_model_fails_fast_without_a_recovery_wait(llm_config: LlmConfig) -> None:
    config = replace(llm_config, model="no-such-model")

    async def run() -> LlmClient:
        async with LlmClient(config) as client:
            with pytest.raises(LlmConfigurationError, match="does not serve model 'no-such-model'"):
                await client.structured(naming_prompt(["Revenue grew."]), TopicName)
            return client

    started = time.monotonic()
    client = asyncio.run(run())
    assert time.monotonic() - started < 5.0
    assert client.stats.health_polls == 0 and client.stats.recoveries == 0


def test_cut_off_answers_become_a_typed_failure(llm_config: LlmConfig) -> None:
    async def run() -> LlmClient:
        async with LlmClient(llm_config) as client:
            with pytest.raises(StructuredOutputError) as failure:
                await client.structured(naming_prompt(["Revenue grew."]), TopicName, max_tokens=1)
            assert failure.value.reason == "length"
            assert failure.value.attempts == llm_config.max_attempts
            return client

    client = asyncio.run(run())
    assert client.stats.invalid_outputs == llm_config.max_attempts
    assert client.stats.failures == 1
