from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from model_tester.adapter_loading import AdapterMismatchError, attach_adapter, check_adapter
from model_tester.adapters import METADATA_FILE
from model_tester.base_model import LoadedModel, load_base_model

pytestmark = pytest.mark.integration


def _logits(model: object, loaded: LoadedModel) -> torch.Tensor:
    ids = loaded.tokenizer("Timolol qAM OU", return_tensors="pt").input_ids
    with torch.inference_mode():
        return model(input_ids=ids).logits  # type: ignore[operator, no-any-return]


def test_attached_adapter_changes_the_output(
    tiny: LoadedModel, tmp_path: Path, lora_factory: Callable[..., Path]
) -> None:
    before = _logits(tiny.model, tiny)
    folder = lora_factory(tiny.model, tmp_path / "adapter")
    model, check = attach_adapter(tiny.model, folder)
    assert check.rank == 4
    assert check.target_modules == ("q_proj", "v_proj")
    assert check.lora_modules == 4  # 2 layers x (q, v)
    assert not check.is_noop
    assert not torch.allclose(_logits(model, tiny), before)
    with model.disable_adapter():
        assert torch.allclose(_logits(model, tiny), before)


def test_all_zero_adapter_is_reported_as_noop(
    tiny: LoadedModel, tmp_path: Path, lora_factory: Callable[..., Path]
) -> None:
    before = _logits(tiny.model, tiny)
    folder = lora_factory(tiny.model, tmp_path / "adapter", perturb=False)
    model, check = attach_adapter(tiny.model, folder)
    assert check.is_noop and check.update_norm == 0.0
    assert torch.equal(_logits(model, tiny), before)


def test_rank_mismatch_is_named(
    tiny: LoadedModel, tmp_path: Path, lora_factory: Callable[..., Path]
) -> None:
    folder = lora_factory(tiny.model, tmp_path / "adapter", rank=4)
    config = json.loads((folder / "adapter_config.json").read_text())
    config["r"] = 8
    (folder / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(AdapterMismatchError, match=r"rank: adapter_config.json says r=8 .* rank 4"):
        check_adapter(folder, tiny.model)


def test_target_module_missing_from_base_is_named(
    tiny: LoadedModel, tmp_path: Path, lora_factory: Callable[..., Path]
) -> None:
    folder = lora_factory(tiny.model, tmp_path / "adapter")
    config = json.loads((folder / "adapter_config.json").read_text())
    config["target_modules"] = ["q_proj", "query_key_value"]
    (folder / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(AdapterMismatchError, match="no module named 'query_key_value'"):
        check_adapter(folder, tiny.model)


def test_adapter_for_another_base_is_named(
    tiny: LoadedModel,
    tmp_path: Path,
    lora_factory: Callable[..., Path],
    tiny_factory: Callable[..., Path],
) -> None:
    wider = load_base_model(
        str(tiny_factory(tmp_path / "wider", hidden=48)), tmp_path / "cache", "cpu"
    )
    folder = lora_factory(wider.model, tmp_path / "adapter")
    with pytest.raises(AdapterMismatchError, match=r"input size: .*q_proj has 32, .* has 48"):
        check_adapter(folder, tiny.model)


def test_vocabulary_mismatch_is_named(
    tiny: LoadedModel, tmp_path: Path, lora_factory: Callable[..., Path]
) -> None:
    folder = lora_factory(tiny.model, tmp_path / "adapter")
    (folder / METADATA_FILE).write_text(json.dumps({"vocab_size": 262144, "base_model": "gemma"}))
    with pytest.raises(AdapterMismatchError, match=r"vocabulary: .*262144 tokens.* has \d+"):
        check_adapter(folder, tiny.model)


def test_missing_files_are_named(
    tiny: LoadedModel, tmp_path: Path, lora_factory: Callable[..., Path]
) -> None:
    folder = lora_factory(tiny.model, tmp_path / "adapter")
    (folder / "adapter_model.safetensors").unlink()
    with pytest.raises(AdapterMismatchError, match=r"adapter_model\.safetensors is missing"):
        check_adapter(folder, tiny.model)
