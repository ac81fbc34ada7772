"""The suites run as a user runs them: over `outputs` (ftm_local's fixture: real MAEC
paragraphs and map output of 12 firms of 2017Q1, themes grouped as reduce-worker groups them,
quotes, exposure and a lineage to 2016Q4) published to a moto bucket, into one Great
Expectations project per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ftm_expectations.checklist import Checklist, run_checklist
from ftm_local.published import QUARTER, Outputs
from ftm_shared.config import FtmSettings, load_settings
from ftm_shared.storage import ObjectStore


@pytest.fixture(scope="session")
def gx_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Great Expectations project for the session: its data docs gather every test's run."""
    return tmp_path_factory.mktemp("gx") / "gx"


@pytest.fixture
def checklist_for(store: ObjectStore, gx_root: Path) -> Callable[[Outputs], Checklist]:
    def run(outputs: Outputs) -> Checklist:
        outputs.publish(store)
        return run_checklist(load_settings(FtmSettings), QUARTER, gx_dir=gx_root)

    return run
