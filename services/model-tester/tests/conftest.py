"""Models for the tests: a tiny randomly initialised Llama built here (fast, real transformers
and PEFT code paths), and the real embedded Gemma once per session where behaviour needs it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from model_tester.base_model import LoadedModel, load_base_model
from model_tester.config import EMBEDDED_BASE_MODEL
from model_tester.medical_data import GLAUCOMA, Entity, Example
from model_tester.prompts import build_prompt, render_answer

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
# Real glaucoma segments, so the tokenizer and the training test see the real format.
EXAMPLES = [
    Example("a", "Timolol qAM OU", (Entity("drug", "Timolol"), Entity("frequency", "qAM"))),
    Example("b", "Latanoprost qhs OU", (Entity("drug", "Latanoprost"), Entity("route", "OU"))),
    Example("c", "Refresh Plus prn OU", (Entity("drug", "Refresh Plus"),)),
    Example("d", "Current eye meds: Lumigan", (Entity("drug", "Lumigan"),)),
]


def build_tiny_model(folder: Path, *, hidden: int = 32, seed: int = 0) -> Path:
    """A 2-layer Llama and a byte-level BPE tokenizer trained on the prompt format."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    corpus = [build_prompt(GLAUCOMA, e.text) + render_answer(e.entities) for e in EXAMPLES]
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(corpus * 5, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        # Large enough that the frozen output layer can express a confident prediction.
        initializer_range=0.5,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def tiny(tiny_model_dir: Path, tmp_path: Path) -> LoadedModel:
    """A fresh load per test: attaching an adapter changes the model in place."""
    return load_base_model(str(tiny_model_dir), tmp_path / "cache", "cpu")


@pytest.fixture(scope="session")
def gemma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedModel]:
    """The real embedded Gemma 3 270M (converted from the GGUF on the machine's first use)."""
    from model_tester.config import ModelTesterSettings

    cache = ModelTesterSettings.model_fields["ftm_cache_dir"].get_default(call_default_factory=True)
    yield load_base_model(EMBEDDED_BASE_MODEL, cache, "cpu")


def make_lora_adapter(
    model: object,
    folder: Path,
    *,
    rank: int = 4,
    targets: tuple[str, ...] = ("q_proj", "v_proj"),
    perturb: bool = True,
) -> Path:
    """A saved PEFT LoRA adapter for `model`; with `perturb`, lora_B is non-zero (a real update)."""
    import torch
    from peft import LoraConfig, get_peft_model

    peft_model = get_peft_model(
        model, LoraConfig(r=rank, lora_alpha=rank * 2, target_modules=list(targets))
    )
    if perturb:
        torch.manual_seed(1)
        for name, parameter in peft_model.named_parameters():
            if "lora_B" in name:
                torch.nn.init.normal_(parameter, std=0.5)
    peft_model.save_pretrained(str(folder))
    peft_model.unload()
    return folder


@pytest.fixture
def lora_factory() -> Callable[..., Path]:
    """`make_lora_adapter` for tests (test modules cannot import conftest by name)."""
    return make_lora_adapter


@pytest.fixture
def tiny_factory() -> Callable[..., Path]:
    return build_tiny_model


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `model-tester ARGS` in this process (as `main()` would): exit code, stdout, stderr."""
    import sys

    from model_tester.cli import main

    def invoke(*args: str) -> tuple[int, str, str]:
        saved = sys.argv
        sys.argv = ["model-tester", *args]
        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        finally:
            sys.argv = saved
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
