"""The real embedded base model, loaded once per session (converted from the GGUF on a
machine's first use, then read from the safetensors cache)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from model_tester import base_model
from model_tester.adapter_loading import attach_adapter
from model_tester.base_model import LoadedModel
from model_tester.extraction import generate
from model_tester.medical_data import GLAUCOMA
from model_tester.prompts import build_prompt

pytestmark = pytest.mark.integration


def test_converted_model_is_reused_without_the_gguf(
    gemma: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ftm_shared import models

    def no_gguf() -> Path:
        raise AssertionError("the GGUF must not be read again once converted")

    monkeypatch.setattr(models, "local_llm_gguf", no_gguf)
    folder = Path(gemma.model.name_or_path)
    assert (folder / "model.safetensors").is_file()
    assert base_model.embedded_model_dir(folder.parents[1]) == folder
    assert gemma.stop_token_ids == sorted(
        {gemma.tokenizer.eos_token_id, gemma.tokenizer.convert_tokens_to_ids("<end_of_turn>")}
    )


def test_batched_generation_matches_one_by_one(gemma: LoadedModel) -> None:
    prompts = [build_prompt(GLAUCOMA, "Timolol qAM OU"), build_prompt(GLAUCOMA, "Cosopt BID OS")]
    batched = generate(gemma, prompts, batch_size=2, max_new_tokens=8)
    single = generate(gemma, prompts, batch_size=1, max_new_tokens=8)
    assert [g.answer for g in batched] == [g.answer for g in single]


def test_fresh_gemma_adapter_is_a_noop(
    gemma: LoadedModel, tmp_path: Path, lora_factory: Callable[..., Path]
) -> None:
    ids = gemma.tokenizer("Latanoprost qhs OU", return_tensors="pt").input_ids
    with torch.inference_mode():
        before = gemma.model(input_ids=ids).logits
    folder = lora_factory(
        gemma.model, tmp_path / "a", rank=16, targets=("q_proj", "k_proj", "v_proj", "o_proj"),
        perturb=False,
    )  # fmt: skip
    model, check = attach_adapter(gemma.model, folder)
    try:
        assert check.is_noop and check.lora_modules == 4 * gemma.model.config.num_hidden_layers
        with torch.inference_mode():
            assert torch.equal(model(input_ids=ids).logits, before)
    finally:
        model.unload()
