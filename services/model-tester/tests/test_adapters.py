from __future__ import annotations

import pytest

from ftm_local.testing import run_module
from ftm_shared import layout
from ftm_shared.storage import ObjectStore
from model_tester.adapters import list_adapters

pytestmark = pytest.mark.integration


def _upload(store: ObjectStore, timestamp: str) -> None:
    root = layout.model_prefix_for("medical-extraction", timestamp)
    store.put_bytes(root + "adapter_config.json", b"{}")
    store.put_bytes(root + "adapter_model.safetensors", b"\x00")


def test_adapters_are_listed_newest_first(store: ObjectStore) -> None:
    for timestamp in ("20260101-090000", "20261120-120000", "20250630-235959"):
        _upload(store, timestamp)
    versions = list_adapters(store, "medical-extraction")
    assert [v.timestamp for v in versions] == [
        "20261120-120000",
        "20260101-090000",
        "20250630-235959",
    ]
    assert versions[0].files == ("adapter_config.json", "adapter_model.safetensors")
    assert list_adapters(store, "other-family") == []


def test_models_command(store: ObjectStore) -> None:
    _upload(store, "20261120-120000")
    result = run_module("model_tester", "models")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("20261120-120000  2 file(s)")
