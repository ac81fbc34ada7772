"""Lazy grammar sampling gives the grammar-first sampler's greedy answers (Gemma 3 270M, CPU)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_cpp import Llama

from ftm_ops.local import lazy_grammar
from ftm_ops.local.llm_server import CHAT_FORMAT, CONTEXT_TOKENS
from ftm_shared.llm.workload import TopicName, maec_naming_prompts
from ftm_shared.models import local_llm_gguf

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def llama() -> Iterator[Llama]:
    model = Llama(
        model_path=str(local_llm_gguf()),
        n_ctx=CONTEXT_TOKENS,
        chat_format=CHAT_FORMAT,
        verbose=False,
    )
    yield model
    model.close()


def _answers(
    llama: Llama, prompts: list[list[dict[str, str]]], schema: dict[str, object]
) -> list[str]:
    return [
        llama.create_chat_completion(  # type: ignore[index]
            messages=prompt,  # type: ignore[arg-type]
            response_format={"type": "json_object", "schema": schema},
            max_tokens=160,
            temperature=0.0,
        )["choices"][0]["message"]["content"]
        for prompt in prompts
    ]


def _record_samplers(monkeypatch: pytest.MonkeyPatch) -> list[lazy_grammar.LazyGrammarSampler]:
    """Install lazy sampling for this test and collect the grammar samplers it makes."""
    samplers: list[lazy_grammar.LazyGrammarSampler] = []

    def recording(self: Llama, **kwargs: object) -> object:
        sampler = lazy_grammar._init_sampler(self, **kwargs)
        if isinstance(sampler, lazy_grammar.LazyGrammarSampler):
            samplers.append(sampler)
        return sampler

    monkeypatch.setattr(Llama, "_init_sampler", recording)
    return samplers


def test_greedy_answers_equal_the_grammar_first_ones(
    llama: Llama, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = maec_naming_prompts(data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet", 4)
    schema = TopicName.model_json_schema()
    grammar_first = _answers(llama, prompts, schema)

    samplers = _record_samplers(monkeypatch)
    lazy = _answers(llama, prompts, schema)

    assert lazy == grammar_first
    assert all('"name"' in answer for answer in lazy)
    assert len(samplers) == len(prompts)
    tokens = sum(s.tokens for s in samplers)
    # The point: most tokens never mask the whole vocabulary.
    assert sum(s.masked for s in samplers) < tokens / 2


def test_a_rejected_token_is_sampled_again_under_the_grammar(
    llama: Llama, monkeypatch: pytest.MonkeyPatch
) -> None:
    samplers = _record_samplers(monkeypatch)
    prompt = [{"role": "user", "content": "Write a short poem about the sea."}]
    [answer] = _answers(llama, [prompt], {"type": "integer"})
    assert int(answer) is not None
    assert samplers[0].masked >= 1  # the model's own first choice is words, not digits
