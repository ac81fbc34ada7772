"""The image sets none of vLLM's own variables, and its health check probes our port."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ftm_shared.config import setting_name
from vllm_server.config import VllmServerSettings

pytestmark = pytest.mark.unit

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: continuations joined, comments dropped."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.strip().partition(" ") for line in joined.splitlines())
        if word
    ]


def env_names(arguments: str) -> list[str]:
    """The variables one ENV sets: `ENV A=1 B=2`, or the legacy `ENV A 1`."""
    words = shlex.split(arguments)
    if "=" not in words[0]:
        return [words[0]]
    return [word.partition("=")[0] for word in words]


def test_the_image_sets_no_vllm_variable() -> None:
    names = [
        name
        for instruction, arguments in instructions(DOCKERFILE.read_text())
        if instruction == "ENV"
        for name in env_names(arguments)
    ]
    assert not [name for name in names if name.startswith("VLLM_")]


def test_the_health_check_reads_the_servers_port_setting() -> None:
    (check,) = [a for i, a in instructions(DOCKERFILE.read_text()) if i == "HEALTHCHECK"]
    variables = set(re.findall(r"environ\.get\('(\w+)'", check))
    assert variables == {setting_name(VllmServerSettings, "port")}


def test_env_names_reads_both_forms() -> None:
    assert env_names('A=1 B="two words"') == ["A", "B"]
    assert env_names("VLLM_PORT 8000") == ["VLLM_PORT"]
    assert [i for i, _ in instructions("# c\nENV A=1 \\\n    B=2\nUSER 1\n")] == ["ENV", "USER"]
