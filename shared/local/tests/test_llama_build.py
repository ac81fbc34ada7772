"""Building llama.cpp's server once into the cache: what is checked before any download."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ftm_local import llama_build

pytestmark = pytest.mark.unit


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FTM_CACHE_DIR", str(tmp_path))
    return tmp_path


def _without(monkeypatch: pytest.MonkeyPatch, *tools: str) -> None:
    real = shutil.which
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None if name in tools else real(name))


def _never_build(_report: llama_build.Report) -> None:
    raise AssertionError("nothing should be built")


def test_the_binaries_are_keyed_by_their_source_version(cache: Path) -> None:
    server = llama_build.binary("llama-server")
    assert server == cache / "llama.cpp" / "llama-cpp-python-0.3.36" / "bin" / "llama-server"


def test_a_cached_build_is_reused_without_tools_or_network(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in llama_build.TARGETS:
        llama_build.binary(name).parent.mkdir(parents=True, exist_ok=True)
        llama_build.binary(name).write_text("#!/bin/sh\n")
    _without(monkeypatch, "cmake", "c++", "g++", "clang++")
    monkeypatch.setattr(llama_build, "_build", _never_build)
    assert llama_build.ensure_built() == llama_build.home() / "bin"


@pytest.mark.parametrize(
    ("absent", "named"),
    [
        (("cmake",), "cmake is not installed"),
        (("c++", "g++", "clang++"), "a C++ compiler (g++ or clang++) is not installed"),
        (("cc", "gcc", "clang"), "a C compiler (gcc or clang) is not installed"),
        (("make", "ninja"), "make is not installed"),
    ],
)
def test_a_missing_build_tool_is_named_before_anything_is_fetched(
    cache: Path, monkeypatch: pytest.MonkeyPatch, absent: tuple[str, ...], named: str
) -> None:
    _without(monkeypatch, *absent)
    monkeypatch.setattr(llama_build, "_build", _never_build)
    with pytest.raises(llama_build.LlamaBuildError) as missing:
        llama_build.ensure_built()
    assert str(missing.value).startswith(f"cannot build llama.cpp's server: {named}")


def test_build_progress_is_reported_every_ten_percent(tmp_path: Path) -> None:
    script = "".join(f"echo '[{p:3d}%] Building CXX object x{p}.o'; " for p in range(0, 101, 4))
    lines: list[str] = []
    llama_build._run(["sh", "-c", script], tmp_path / "build.log", lines.append)
    percents = [line.split(": ")[1].split("%")[0] for line in lines]
    assert percents == ["0", "12", "20", "32", "40", "52", "60", "72", "80", "92", "100"]
    assert "[ 44%] Building CXX object x44.o" in (tmp_path / "build.log").read_text()


def test_a_failed_build_step_shows_its_last_lines_and_the_log(tmp_path: Path) -> None:
    with pytest.raises(llama_build.LlamaBuildError) as failed:
        llama_build._run(["sh", "-c", "echo 'error: no member'; exit 2"], tmp_path / "build.log")
    assert "sh exited 2" in str(failed.value)
    assert "error: no member" in str(failed.value)
    assert str(tmp_path / "build.log") in str(failed.value)
