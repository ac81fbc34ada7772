"""The local LLM server: its settings, and what the running server does with our prompts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ftm_local.llm_server import (
    CONTEXT_TOKENS,
    LOCAL_MODEL,
    LocalLlmSettings,
    env_for,
    server_command,
    start_llm,
)
from ftm_local.process import ServerRecord
from ftm_shared.config import SettingsError, read_settings


@pytest.mark.unit
def test_services_ask_it_for_json_schema_output_as_they_ask_vllm() -> None:
    env = env_for("http://127.0.0.1:8080")
    assert env == {
        "LLM_BASE_URL": "http://127.0.0.1:8080/v1",
        "LLM_MODEL": LOCAL_MODEL,
        "LLM_RESPONSE_FORMAT": "json_schema",
    }


@pytest.mark.unit
def test_the_command_batches_parallel_slots_each_with_its_own_context() -> None:
    command = server_command(Path("llama-server"), Path("m.gguf"), 8080, parallel=6, threads=2)

    def value(flag: str) -> str:
        return command[command.index(flag) + 1]

    assert value("--parallel") == "6" and "--cont-batching" in command
    assert "--no-kv-unified" in command and value("--ctx-size") == str(6 * CONTEXT_TOKENS)
    assert value("--alias") == LOCAL_MODEL and value("--host") == "127.0.0.1"
    assert value("--threads") == "2"
    # Gemma 3's sliding-window layers keep no reusable prompt prefix without a full cache.
    assert "--swa-full" in command


@pytest.mark.unit
def test_a_server_on_the_topic_workers_cpus_names_after_every_firm_has_its_topics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    env = env_for("http://127.0.0.1:8080", shares_cpus=True)
    assert env["NAMING_WAITS_FOR_TOPICS"] == "true" and env["RAY_WORKERS"] == "4"
    assert "NAMING_WAITS_FOR_TOPICS" not in env_for("http://127.0.0.1:8080")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("cpus", "load", "threads"),
    [
        (2, 0.3, 2),  # quiet: naming, the long pole, takes both cores
        (2, 1.5, 1),  # busy: threads that wait at every layer's barrier stall; half
        (8, 1.0, 6),
        (8, 6.0, 4),
    ],
)
def test_the_server_takes_most_cores_of_a_quiet_machine(
    monkeypatch: pytest.MonkeyPatch, cpus: int, load: float, threads: int
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cpus)
    monkeypatch.delenv("LLM_THREADS", raising=False)
    chosen = read_settings(LocalLlmSettings).threads(load_1min=load)
    assert chosen == threads
    monkeypatch.setenv("LLM_THREADS", "3")
    assert read_settings(LocalLlmSettings).threads(load_1min=load) == 3


@pytest.mark.unit
def test_llm_parallel_is_a_setting_named_when_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PARALLEL", "3")
    assert read_settings(LocalLlmSettings).llm_parallel == 3
    monkeypatch.setenv("LLM_PARALLEL", "0")
    with pytest.raises(SettingsError, match="LLM_PARALLEL"):
        read_settings(LocalLlmSettings)


@pytest.mark.integration
def test_prompts_reach_the_base_model_as_plain_text(llm_server: ServerRecord) -> None:
    messages = [{"role": "user", "content": "First part."}, {"role": "user", "content": "Answer:"}]
    rendered = httpx.post(f"{llm_server.url}/apply-template", json={"messages": messages})
    rendered.raise_for_status()
    assert rendered.json()["prompt"] == "First part.\n\nAnswer:"


@pytest.mark.integration
def test_it_serves_the_configured_slots_and_answers_health(llm_server: ServerRecord) -> None:
    assert httpx.get(f"{llm_server.url}/health").status_code == 200
    props = httpx.get(f"{llm_server.url}/props").json()
    assert props["total_slots"] == read_settings(LocalLlmSettings).llm_parallel


@pytest.mark.unit
def test_the_threads_are_judged_on_the_load_before_a_first_build_adds_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    load = [0.2]
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr("os.getloadavg", lambda: (load[0], 0.0, 0.0))
    monkeypatch.delenv("LLM_THREADS", raising=False)

    def build() -> Path:
        load[0] = 2.5  # compiling llama.cpp on both cores
        return tmp_path

    started: list[list[str]] = []
    monkeypatch.setattr("ftm_local.llm_server.ensure_built", build)
    monkeypatch.setattr("ftm_local.llm_server.local_llm_gguf", lambda: tmp_path / "m.gguf")
    monkeypatch.setattr(
        "ftm_local.llm_server.start_server", lambda _name, command, **_kw: started.append(command)
    )
    start_llm(tmp_path)
    assert started[0][started[0].index("--threads") + 1] == "2"
