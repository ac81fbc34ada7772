"""The commands end to end against the moto server, with the tiny model as BASE_MODEL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ftm_local.cloud import LocalCloud
from ftm_shared import layout
from ftm_shared.storage import ObjectStore
from model_tester.adapters import METADATA_FILE, upload_adapter
from model_tester.base_model import LoadedModel

pytestmark = pytest.mark.integration
Cli = Callable[..., tuple[int, str, str]]
PREFIX = "medical-extraction"


@pytest.fixture
def env(
    local_cloud: LocalCloud, tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("BASE_MODEL", str(tiny_model_dir))
    monkeypatch.setenv("FTM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MAX_NEW_TOKENS", "40")
    # Downloads go to a temporary folder; it must be empty again after every command.
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    return tmp_path / "tmp"


def _upload(
    store: ObjectStore, folder: Path, timestamp: str, metadata: dict[str, object] | None = None
) -> None:
    if metadata is not None:
        (folder / METADATA_FILE).write_text(json.dumps(metadata))
    upload_adapter(store, PREFIX, timestamp, folder)


def test_unknown_timestamp_lists_the_available_ones(
    env: Path,
    store: ObjectStore,
    tiny: LoadedModel,
    tmp_path: Path,
    lora_factory: Callable[..., Path],
    cli: Cli,
) -> None:
    folder = lora_factory(tiny.model, tmp_path / "adapter")
    _upload(store, folder, "20261101-080000")
    _upload(store, folder, "20261120-120000")
    code, _, err = cli("test", "--timestamp", "20250101-000000", "--input", "Timolol qAM OU")
    assert code == 2
    assert "no adapter with timestamp '20250101-000000'" in err
    assert "available (newest first): 20261120-120000, 20261101-080000" in err


def test_missing_setting_is_named(
    local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.delenv("S3_BUCKET")
    code, _, err = cli("test", "--timestamp", "20261120-120000", "--sample-index", "0")
    assert code == 2
    assert "S3_BUCKET: missing" in err


def test_use_ssm_reads_the_bucket_from_parameter_store(
    env: Path, local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.delenv("S3_BUCKET")  # only /ftm/s3_bucket in SSM names it now
    code, _, err = cli("test", "--use-ssm", "--timestamp", "20261120-120000", "--sample-index", "0")
    assert code == 2
    assert f"under s3://{local_cloud.bucket}/models/{PREFIX}/; available" in err


def test_sample_or_input_exactly_one(env: Path, cli: Cli) -> None:
    code, _, err = cli("test", "--timestamp", "20261120-120000")
    assert code == 2 and "exactly one of --sample-index, --input and --input-file" in err


@pytest.mark.parametrize("text", ["", "  \n "])
def test_an_empty_input_is_refused_before_any_model_loads(env: Path, cli: Cli, text: str) -> None:
    code, _, err = cli("test", "--timestamp", "20261120-120000", "--input", text)
    assert code == 2 and "the input text is empty" in err


def test_an_input_over_the_models_context_is_refused_before_generating(
    env: Path,
    store: ObjectStore,
    tiny: LoadedModel,
    tmp_path: Path,
    lora_factory: Callable[..., Path],
    cli: Cli,
) -> None:
    _upload(store, lora_factory(tiny.model, tmp_path / "adapter"), "20261120-120000")
    long_text = tmp_path / "long.txt"
    long_text.write_text("Timolol one drop in each eye. " * 200)  # over the tiny model's 512
    code, _, err = cli("test", "--timestamp", "20261120-120000", "--input-file", str(long_text))
    assert code == 2, err
    assert "the input is too long for" in err and "over its 512-token context" in err
    assert list(env.iterdir()) == []


def test_mismatched_adapter_is_named_and_temp_files_removed(
    env: Path,
    store: ObjectStore,
    tmp_path: Path,
    lora_factory: Callable[..., Path],
    tiny_factory: Callable[..., Path],
    cli: Cli,
) -> None:
    from model_tester.base_model import load_base_model

    wider = load_base_model(str(tiny_factory(tmp_path / "wider", hidden=48)), tmp_path, "cpu")
    _upload(store, lora_factory(wider.model, tmp_path / "adapter"), "20261120-120000")
    code, _, err = cli("test", "--timestamp", "20261120-120000", "--input", "Timolol qAM OU")
    assert code == 2
    assert "input size" in err and "trained for another base model" in err
    assert list(env.iterdir()) == []


def test_noop_adapter_is_reported(
    env: Path,
    store: ObjectStore,
    tiny: LoadedModel,
    tmp_path: Path,
    lora_factory: Callable[..., Path],
    cli: Cli,
) -> None:
    folder = lora_factory(tiny.model, tmp_path / "adapter", perturb=False)
    _upload(store, folder, "20261120-120000", {"task": "glaucoma"})
    code, out, err = cli("test", "--timestamp", "20261120-120000", "--input", "Timolol qAM OU")
    assert code == 0, err
    assert "adapter   20261120-120000   task glaucoma" in out
    assert "the adapter's update is all zero" in out
    assert list(env.iterdir()) == []


def test_trained_adapter_extracts_evaluates_exports(
    env: Path, store: ObjectStore, tiny: LoadedModel, tmp_path: Path, cli: Cli
) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from model_tester.adapter_loading import attach_adapter
    from model_tester.medical_data import GLAUCOMA, Entity, Example
    from model_tester.train import Recipe, train_cached

    # Overfit the tiny model on one segment: its adapter must then extract it exactly.
    segment = Example("x", "Timolol qAM OU", (Entity("drug", "Timolol"), Entity("route", "OU")))
    recipe = Recipe(steps=60, batch_size=1, max_length=512, learning_rate=3e-2, rank=8, alpha=16)
    trained = train_cached(tiny, GLAUCOMA, [segment], recipe, tmp_path / "train-cache")
    upload_adapter(store, PREFIX, "20261120-120000", trained.folder)

    code, out, err = cli("test", "--timestamp", "20261120-120000", "--input", segment.text)
    assert code == 0, err
    assert "  drug   Timolol\n  route  OU\n" in out, out

    output = tmp_path / "eval"
    code, out, err = cli("evaluate", "--limit", "3", "--output", str(output))
    assert code == 0, err
    assert "glaucoma: 3 held-back examples, adapter 20261120-120000" in out
    assert "JSON valid" in out
    results = json.loads((output / "20261120-120000" / "results.json").read_text())
    assert results["n"] == 3 and set(results["metrics"]) == {"base", "adapter"}
    assert results["adapter"]["timestamp"] == "20261120-120000"
    assert results["base_model"] == str(tiny.name)
    assert {"torch", "transformers", "peft"} <= set(results["libraries"])
    assert results["git_commit"]
    for kind in ("exact", "relaxed"):
        assert set(results["metrics"]["adapter"][kind]) == {*GLAUCOMA.label_set, "overall"}
    remote = layout.evaluation_prefix(PREFIX, "20261120-120000")
    assert store.read_json(remote + "results.json") == results
    predictions = pq.read_table(output / "20261120-120000" / "predictions.parquet")
    assert predictions.num_rows == 6
    assert sorted(set(predictions.column("model").to_pylist())) == ["adapter", "base"]

    code, out, err = cli("export", "--output", str(tmp_path / "merged"))
    assert code == 0, err
    assert (tmp_path / "merged" / "model.safetensors").is_file()
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")
    assert not any("lora" in name for name, _ in merged.named_modules())
    with_adapter, _ = attach_adapter(tiny.model, trained.folder)
    ids = tiny.tokenizer(segment.text, return_tensors="pt").input_ids
    with torch.inference_mode():
        expected = with_adapter(input_ids=ids).logits
        assert torch.allclose(merged(input_ids=ids).logits, expected, atol=1e-4)

    code, out, err = cli("benchmark", "--max-batch", "2", "--examples", "4", "--new-tokens", "4")
    assert code == 0, err
    assert "batched vs one-by-one:" in out
    assert list(env.iterdir()) == []


def test_demo_trains_once_then_reuses_the_cache(
    env: Path, store: ObjectStore, tmp_path: Path, cli: Cli
) -> None:
    # The real recipe and data on the tiny model: the same code path as `make smoke`.
    code, out, err = cli("demo", "--limit", "1", "--output", str(tmp_path / "out"))
    assert code == 0, err
    first = out.splitlines()
    assert first[0].startswith("model-tester demo: adapter ") and "trained in" in first[0]
    assert first[1] == "glaucoma held-back segments: 1"
    assert any(line.startswith("summary: F1 base ") for line in first)
    [version] = [key for key in store.list_keys("models/") if key.endswith(METADATA_FILE)]
    timestamp = version.split("/")[2]
    assert (tmp_path / "out" / timestamp / "results.json").is_file()

    code, out, err = cli("demo", "--limit", "1", "--output", str(tmp_path / "out"))
    assert code == 0, err
    assert f"adapter {timestamp} (found in the bucket)" in out

    for key in store.list_keys("models/"):
        store.delete(key)
    code, out, err = cli("demo", "--limit", "1", "--output", str(tmp_path / "out"))
    assert code == 0, err
    assert "uploaded from the cache" in out
