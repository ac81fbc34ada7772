"""Pytest fixtures for every ftm package: a real moto server over HTTP and the provided data.

Registered as a pytest plugin (entry point `pytest11`), so any test suite with ftm-local
installed can ask for `local_cloud` or `data_dir` without a conftest of its own.
"""

from __future__ import annotations

import contextlib
import copy
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ftm_local import cloud, published
from ftm_local.llama_build import LlamaBuildError, ensure_built
from ftm_local.llm_server import env_for as llm_env_for
from ftm_local.llm_server import start_llm
from ftm_local.process import ServerRecord, stop_process
from ftm_shared import data, layout
from ftm_shared.config import FtmSettings, load_settings, local_paths
from ftm_shared.llm.config import LlmConfig
from ftm_shared.storage import ObjectStore


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerRecord]:
    """One moto server (a subprocess on 127.0.0.1) for the whole test session."""
    record = cloud.start_moto(tmp_path_factory.mktemp("moto"))
    yield record
    stop_process(record.pid)


@pytest.fixture
def local_cloud(
    moto_server: ServerRecord, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> cloud.LocalCloud:
    """A fresh bucket on the session's moto server, with the environment pointing at it."""
    local = cloud.LocalCloud(
        endpoint_url=moto_server.url, bucket=f"ftm-test-{uuid.uuid4().hex[:12]}"
    )
    cloud.provision(local)
    for key, value in local.env().items():
        monkeypatch.setenv(key, value)
    # Never pick up a developer's own `ftm local up` env file or SSM choice.
    monkeypatch.setenv("FTM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("FTM_ENV_FILE", raising=False)
    monkeypatch.delenv("FTM_USE_SSM", raising=False)
    return local


@pytest.fixture
def store(local_cloud: cloud.LocalCloud) -> ObjectStore:
    return ObjectStore.from_settings(load_settings(FtmSettings))


@pytest.fixture(scope="session")
def llm_server(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[ServerRecord]:
    """One real llama.cpp server (Gemma 3 270M on the CPU) for the whole test session.

    A machine without the server builds it first (~10 min), its progress on the terminal.
    """
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        try:
            ensure_built()
        except LlamaBuildError as missing:
            pytest.fail(str(missing), pytrace=False)
    record = start_llm(tmp_path_factory.mktemp("llm"))
    yield record
    stop_process(record.pid)


@pytest.fixture
def llm_config(llm_server: ServerRecord) -> LlmConfig:
    """Client config for the session's LLM server, with test-sized health polling."""
    env = llm_env_for(llm_server.url)
    return LlmConfig(
        base_url=env["LLM_BASE_URL"],
        model=env["LLM_MODEL"],
        response_format=env["LLM_RESPONSE_FORMAT"],  # type: ignore[arg-type]
        health_poll_s=1.0,
        recovery_timeout_s=120.0,
    )


@pytest.fixture
def pipeline_env(
    local_cloud: cloud.LocalCloud, llm_config: LlmConfig, monkeypatch: pytest.MonkeyPatch
) -> cloud.LocalCloud:
    """`local_cloud` plus the environment that points a service at the session's LLM server."""
    monkeypatch.setenv("LLM_BASE_URL", llm_config.base_url)
    monkeypatch.setenv("LLM_MODEL", llm_config.model)
    monkeypatch.setenv("LLM_RESPONSE_FORMAT", llm_config.response_format)
    return local_cloud


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The provided data sets; skipped with the reason where absent, unless FTM_REQUIRE_DATA=1."""
    try:
        return data.data_dir()
    except data.DataNotFoundError as missing:
        if local_paths().ftm_require_data:
            raise
        pytest.skip(str(missing))


FIXTURES = Path(__file__).parent / "fixtures"
# The provided MAEC sentences of 2017Q1's first 12 firms as `ftm ingest` writes them: members
# test on a quarter in the raw-transcripts contract without ingest, which is ops' (whose tests
# hold this file to what ingest writes).
RAW_TRANSCRIPTS_2017Q1 = FIXTURES / "raw_transcripts_2017Q1.parquet"
RAW_SOURCE = "maec_2017h1_sentences"
# Real map-worker output of those 12 firms (11 mapped; one failed in map).
FIRM_TOPICS_2017Q1 = FIXTURES / "firm_topics_2017Q1.parquet"


@pytest.fixture(scope="session")
def real_firm_topics() -> pa.Table:
    """Real firm-topic rows (`FIRM_TOPICS_2017Q1`), for reduce and the expectations suites
    (an Arrow table cannot be changed in place, so one per session)."""
    return pq.read_table(FIRM_TOPICS_2017Q1)


def raw_quarter(firms: int | None = None) -> pa.Table:
    """`RAW_TRANSCRIPTS_2017Q1`, or its first `firms` firms by id (as `ftm ingest --firms`)."""
    table = pq.read_table(RAW_TRANSCRIPTS_2017Q1)
    if firms is None:
        return table
    chosen = sorted(set(table.column("firm_id").to_pylist()))[:firms]
    return table.filter(pc.is_in(table["firm_id"], value_set=pa.array(chosen)))


def put_raw_quarter(store: ObjectStore, firms: int | None = None) -> str:
    """Put `raw_quarter(firms)` where `ftm ingest` puts 2017Q1's MAEC source; its key."""
    key = layout.raw_transcripts_key("2017Q1", RAW_SOURCE)
    store.write_parquet(key, raw_quarter(firms))
    return key


def run_module(
    module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `python -m module args...` as a user would, in the current (test) environment."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def small_quarter(
    data_dir: Path,
    folder: Path,
    firms: int,
    *,
    failing: int = 0,
    sentences: int = 6,
    quarter: str = "2017Q1",
) -> tuple[Path, list[str]]:
    """A MAEC source file of `firms` small real firms (a few long sentences each: one topic,
    one naming request); the first `failing` get real sentences under five words instead,
    which map-worker refuses before any model runs. Returns the file and the failing firms."""
    rows = pd.read_parquet(data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet")
    rows = rows[rows["quarter"] == quarter]
    words = rows["text"].str.split().str.len()
    long, short = rows[words >= 8], rows[words < 5]
    chosen = sorted(set(long.groupby("firm_id").size().loc[lambda n: n >= sentences].index))
    chosen = chosen[:firms]
    own = [long.loc[lambda r, f=firm: r["firm_id"] == f].head(sentences) for firm in chosen]
    # A failing firm keeps its own call's rows (ids, dates, paragraphs: nothing ingest refuses)
    # with short sentences in place of its text.
    short_texts = short["text"].head(sentences).to_numpy()
    parts = [
        rows.assign(text=short_texts[: len(rows)]) if i < failing else rows
        for i, rows in enumerate(own)
    ]
    path = folder / "small_quarter.parquet"
    pd.concat(parts).to_parquet(path, index=False)
    return path, chosen[:failing]


@pytest.fixture(scope="session")
def good_outputs(real_firm_topics: pa.Table) -> published.Outputs:
    """One run's outputs for 2017Q1's first 12 firms (`realistic_outputs`), built once."""
    return published.realistic_outputs(raw_quarter(), real_firm_topics)


@pytest.fixture
def outputs(good_outputs: published.Outputs) -> published.Outputs:
    """A copy of `good_outputs` each test may break as it likes."""
    return copy.deepcopy(good_outputs)
