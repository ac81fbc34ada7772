from __future__ import annotations

import os
import subprocess
import sys

import pytest

from vllm_server.config import VllmServerSettings

pytestmark = pytest.mark.unit


def vllm_server(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m vllm_server COMMAND` as the container runs it, with `env` added."""
    return subprocess.run(
        [sys.executable, "-m", "vllm_server", command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_defaults_serve_qwen3_8b() -> None:
    args = VllmServerSettings().serve_args()
    assert args[:3] == ["vllm", "serve", "Qwen/Qwen3-8B"]
    assert "--enable-lora" not in args


def test_env_sets_every_knob(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTM_VLLM_SERVED_MODEL", "meta-llama/Llama-3.1-8B-Instruct")
    monkeypatch.setenv("FTM_VLLM_MODEL_PATH", "/models/llama")
    monkeypatch.setenv("FTM_VLLM_MAX_MODEL_LEN", "4096")
    monkeypatch.setenv("FTM_VLLM_GPU_MEMORY_UTILIZATION", "0.8")
    monkeypatch.setenv("FTM_VLLM_ENABLE_LORA", "true")
    monkeypatch.setenv("FTM_VLLM_MAX_LORA_RANK", "32")
    monkeypatch.setenv("FTM_VLLM_PORT", "9000")
    args = VllmServerSettings().serve_args()
    assert args[2] == "/models/llama"
    pairs = dict(zip(args[3::2], args[4::2], strict=False))
    assert pairs["--served-model-name"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert pairs["--max-model-len"] == "4096"
    assert pairs["--gpu-memory-utilization"] == "0.8"
    assert pairs["--port"] == "9000"
    assert args[-3:] == ["--enable-lora", "--max-lora-rank", "32"]


def test_invalid_knob_is_named_on_the_command_line() -> None:
    result = vllm_server("args", FTM_VLLM_GPU_MEMORY_UTILIZATION="1.5")
    assert result.returncode == 2
    # The library's settings-error format, with the variable's FTM_VLLM_ prefix.
    assert result.stderr.startswith("error: Invalid or missing settings for VllmServerSettings:")
    expected = "\n  FTM_VLLM_GPU_MEMORY_UTILIZATION: Input should be less than or equal to 1"
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://example.com/m/", "FTM_VLLM_MODEL_S3_URI: String should match pattern"),
        ("s3://weights/m/", "FTM_VLLM_MODEL_PATH is needed to sync FTM_VLLM_MODEL_S3_URI"),
    ],
)
def test_weights_from_s3_need_an_s3_uri_and_a_local_folder(uri: str, problem: str) -> None:
    result = vllm_server("args", FTM_VLLM_MODEL_S3_URI=uri)
    assert result.returncode == 2
    assert problem in result.stderr


def test_serve_outside_the_image_says_so() -> None:
    result = vllm_server("serve", PATH="/nonexistent")
    assert result.returncode == 1
    assert "vllm is not installed here" in result.stderr


def test_no_setting_is_read_from_vllms_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """vLLM reads every VLLM_* variable (VLLM_PORT is its internal port): ours must not."""
    for name in VllmServerSettings.model_fields:
        monkeypatch.setenv(f"VLLM_{name.upper()}", "1234")
    settings = VllmServerSettings()
    assert settings.port == 8000
    defaults = {name: field.default for name, field in VllmServerSettings.model_fields.items()}
    assert settings.model_dump() == defaults
