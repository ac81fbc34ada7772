"""The LLM client's recovery lines name the server the way operators search for it."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest

from ftm_shared.llm import LlmSettings, LlmUnavailableError
from ftm_shared.llm.health import HealthMonitor
from ftm_shared.llm.stats import LlmStats

pytestmark = pytest.mark.unit


def refused_url() -> str:
    """A loopback port nothing listens on: every health poll is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def recovery_messages(caplog: pytest.LogCaptureFixture, server_name: str) -> list[str]:
    async def wait() -> None:
        async with httpx.AsyncClient() as http:
            monitor = HealthMonitor(
                refused_url(),
                poll_s=0.05,
                timeout_s=0.2,
                stats=LlmStats(),
                http=http,
                server_name=server_name,
            )
            await monitor.wait_for_recovery(0, ConnectionError("refused"))

    with (
        caplog.at_level(logging.WARNING, logger="ftm_shared.llm"),
        pytest.raises(LlmUnavailableError) as gave_up,
    ):
        asyncio.run(wait())
    return [record.getMessage() for record in caplog.records] + [str(gave_up.value)]


def test_every_recovery_line_names_vllm(caplog: pytest.LogCaptureFixture) -> None:
    messages = recovery_messages(caplog, "vLLM")
    assert messages[0].startswith("vLLM at http://127.0.0.1:")
    assert any(m.startswith("vLLM unhealthy, waiting... (") for m in messages)
    assert messages[-1].startswith("vLLM at ") and "did not recover within" in messages[-1]
    assert not any("LLM server" in m for m in messages)


def test_the_name_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("LLM_MODEL", "m")
    assert LlmSettings().llm_config().server_name == "LLM server"
    monkeypatch.setenv("LLM_SERVER_NAME", "vLLM")
    assert LlmSettings().llm_config().server_name == "vLLM"
