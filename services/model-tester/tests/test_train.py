from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from model_tester.adapter_loading import check_adapter
from model_tester.adapters import METADATA_FILE
from model_tester.base_model import LoadedModel
from model_tester.medical_data import GLAUCOMA
from model_tester.prompts import build_prompt, render_answer
from model_tester.train import IGNORE, Recipe, _batch, answer_loss, encode, train_cached

pytestmark = pytest.mark.integration


@pytest.fixture
def examples() -> list:  # type: ignore[type-arg]
    from model_tester.medical_data import Entity, Example

    return [
        Example("a", "Timolol qAM OU", (Entity("drug", "Timolol"), Entity("frequency", "qAM"))),
        Example("b", "Latanoprost qhs OU", (Entity("drug", "Latanoprost"), Entity("route", "OU"))),
        Example("c", "Refresh Plus prn OU", (Entity("drug", "Refresh Plus"),)),
    ]


def test_loss_reads_only_answer_tokens(tiny: LoadedModel, examples: list) -> None:  # type: ignore[type-arg]
    encoded, too_long = encode(tiny.tokenizer, GLAUCOMA, examples, max_length=512)
    assert too_long == 0
    ids, labels, mask = _batch(encoded, tiny.tokenizer.pad_token_id)
    prompt_len = len(tiny.tokenizer(build_prompt(GLAUCOMA, examples[0].text)).input_ids)
    assert (labels[0, :prompt_len] == IGNORE).all()
    answer = tiny.tokenizer(render_answer(examples[0].entities), add_special_tokens=False).input_ids
    assert labels[0, prompt_len : prompt_len + len(answer)].tolist() == answer
    # The shortcut (output layer at answer positions only) equals the full-logits loss.
    with torch.no_grad():
        shortcut = answer_loss(tiny.model, ids, labels, mask)
        logits = tiny.model(input_ids=ids, attention_mask=mask).logits
        full = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
            ignore_index=IGNORE,
        )  # fmt: skip
    assert shortcut.item() == pytest.approx(full.item(), rel=1e-5)


def test_examples_longer_than_max_length_are_left_out(tiny: LoadedModel, examples: list) -> None:  # type: ignore[type-arg]
    shortest = min(
        len(tiny.tokenizer(build_prompt(GLAUCOMA, e.text) + render_answer(e.entities)).input_ids)
        for e in examples
    )
    encoded, too_long = encode(tiny.tokenizer, GLAUCOMA, examples, max_length=shortest)
    assert (len(encoded), too_long) == (1, 2)


def test_training_lowers_the_loss_and_is_cached(
    tiny: LoadedModel,
    examples: list,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    recipe = Recipe(steps=30, batch_size=3, max_length=512, learning_rate=1e-2, rank=8, alpha=16)
    result = train_cached(tiny, GLAUCOMA, examples, recipe, tmp_path / "cache")
    assert not result.cached
    assert result.examples_used == 3
    assert result.losses[-1] < 0.5 * result.losses[0]
    metadata = json.loads((result.folder / METADATA_FILE).read_text())
    assert metadata["task"] == "glaucoma"
    assert metadata["vocab_size"] == tiny.model.get_input_embeddings().num_embeddings
    assert metadata["recipe"]["steps"] == 30
    # The caller's model is a plain base model again, and the saved adapter fits it.
    assert not any("lora" in name for name, _ in tiny.model.named_modules())
    check = check_adapter(result.folder, tiny.model)
    assert check.rank == 8 and not check.is_noop
    again = train_cached(tiny, GLAUCOMA, examples, recipe, tmp_path / "cache")
    assert again.cached and again.folder == result.folder
    changed = train_cached(tiny, GLAUCOMA, examples[:2], recipe, tmp_path / "cache")
    assert not changed.cached and changed.folder != result.folder
