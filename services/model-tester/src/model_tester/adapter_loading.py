"""Check that a PEFT LoRA adapter fits the base model, then attach it.

PEFT's own errors on a misfit are shape dumps from deep inside torch; here the rank, target
modules and vocabulary are compared first, and the message names what does not fit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftm_shared.errors import InputError
from model_tester.adapters import METADATA_FILE

CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
# PEFT stores `base_model.model.<module path>.lora_A.weight` (and `.lora_B.`).
_PEFT_PREFIX = "base_model.model."


class AdapterMismatchError(InputError):
    """The adapter does not fit the base model; the message names the mismatch."""


@dataclass(frozen=True)
class AdapterCheck:
    rank: int
    target_modules: tuple[str, ...]
    lora_modules: int
    # L2 norm over every lora_B tensor: 0.0 means the adapter changes nothing (B starts at 0).
    update_norm: float
    metadata: dict[str, Any]

    @property
    def is_noop(self) -> bool:
        return self.update_norm == 0.0


def read_adapter_files(folder: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(adapter_config.json, tensors, ftm metadata or {}) of an adapter folder."""
    from safetensors.torch import load_file

    config_path, weights_path = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    for needed in (config_path, weights_path):
        if not needed.is_file():
            present = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
            raise AdapterMismatchError(
                f"not a PEFT adapter: {needed.name} is missing (found {present or 'nothing'})"
            )
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if str(config.get("peft_type", "")).upper() != "LORA":
        raise AdapterMismatchError(
            f"{CONFIG_FILE}: peft_type is {config.get('peft_type')!r}, only LORA is supported"
        )
    metadata_path = folder / METADATA_FILE
    metadata = (
        json.loads(metadata_path.read_text(encoding="utf-8")) if metadata_path.is_file() else {}
    )
    return config, load_file(str(weights_path)), metadata


def _module_shape(module: Any) -> tuple[int, int] | None:
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return int(module.in_features), int(module.out_features)
    if hasattr(module, "num_embeddings"):
        return int(module.num_embeddings), int(module.embedding_dim)
    return None


def check_adapter(folder: Path, model: Any) -> AdapterCheck:
    """Compare the adapter's rank, target modules and vocabulary with the base model."""
    import torch

    config, tensors, metadata = read_adapter_files(folder)
    rank = int(config.get("r", 0))
    rank_pattern = config.get("rank_pattern") or {}
    modules = dict(model.named_modules())
    vocab = int(model.get_input_embeddings().num_embeddings)

    adapter_vocab = metadata.get("vocab_size")
    if adapter_vocab is not None and int(adapter_vocab) != vocab:
        raise AdapterMismatchError(
            f"vocabulary: the adapter was trained with {adapter_vocab} tokens, the base model "
            f"has {vocab} (base of the adapter: {metadata.get('base_model', '?')})"
        )

    targets = config.get("target_modules") or []
    if isinstance(targets, str):
        targets = [targets]
    for target in targets:
        if not any(name == target or name.endswith("." + target) for name in modules):
            raise AdapterMismatchError(
                f"target modules: the base model has no module named {target!r} "
                f"(adapter targets {sorted(targets)})"
            )

    lora_modules, squared_norm = set(), 0.0
    for key, tensor in tensors.items():
        path = key.removeprefix(_PEFT_PREFIX)
        module_path, _, kind = path.rpartition(".lora_")
        if not module_path:
            # modules_to_save (e.g. a resized embedding): its rows must match the vocabulary.
            vocab_matrix = path.endswith(".weight") and ("embed" in path or "lm_head" in path)
            if vocab_matrix and tensor.shape[0] != vocab:
                raise AdapterMismatchError(
                    f"vocabulary: {key} has {tensor.shape[0]} rows, the base model has {vocab} "
                    "tokens"
                )
            continue
        module = modules.get(module_path)
        if module is None:
            raise AdapterMismatchError(
                f"target modules: {module_path} (from {key}) does not exist in the base model"
            )
        lora_modules.add(module_path)
        shape = _module_shape(module)
        expected_rank = int(
            next((r for p, r in rank_pattern.items() if module_path.endswith(p)), rank)
        )
        is_a = kind.startswith(("A.", "embedding_A"))
        tensor_rank = tensor.shape[0] if is_a else tensor.shape[-1]
        if tensor_rank != expected_rank:
            raise AdapterMismatchError(
                f"rank: {CONFIG_FILE} says r={expected_rank} but {key} has rank {tensor_rank}"
            )
        if shape is not None:
            fan_in, fan_out = shape
            expected, actual = (fan_in, tensor.shape[-1]) if is_a else (fan_out, tensor.shape[0])
            if actual != expected:
                side = (
                    "vocabulary"
                    if kind.startswith("embedding_A")
                    else ("input" if is_a else "output")
                )
                raise AdapterMismatchError(
                    f"{side} size: {module_path} has {expected}, the adapter's {key} has "
                    f"{actual} (trained for another base model?)"
                )
        if not is_a:
            squared_norm += float(torch.sum(tensor.float() ** 2))
    if not lora_modules:
        raise AdapterMismatchError(f"{WEIGHTS_FILE} holds no LoRA tensors")
    return AdapterCheck(
        rank=rank,
        target_modules=tuple(sorted(str(t) for t in targets)),
        lora_modules=len(lora_modules),
        update_norm=squared_norm**0.5,
        metadata=metadata,
    )


def attach_adapter(model: Any, folder: Path) -> tuple[Any, AdapterCheck]:
    """Base model + adapter (a PeftModel) once the adapter is known to fit."""
    from peft import PeftModel

    check = check_adapter(folder, model)
    peft_model = PeftModel.from_pretrained(model, str(folder), is_trainable=False)
    peft_model.eval()
    return peft_model, check
