"""The local server's prompt format: plain text the base model continues (Gemma 3 270M, CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llama_cpp import Llama

from ftm_ops.local import lazy_grammar
from ftm_ops.local.completion_format import continue_text
from ftm_ops.local.llm_server import CHAT_FORMAT, CONTEXT_TOKENS
from ftm_shared.llm.workload import TopicName, maec_naming_prompts
from ftm_shared.models import local_llm_gguf


@pytest.mark.unit
def test_the_prompt_is_the_messages_text_without_chat_turns() -> None:
    rendered = continue_text(
        [
            {"role": "system", "content": "Answer as JSON."},
            {"role": "user", "content": "Sentences:\n- Margins rose.\nAnswer:"},
        ]
    )
    assert rendered.prompt == "Answer as JSON.\n\nSentences:\n- Margins rose.\nAnswer:"
    assert "<start_of_turn>" not in rendered.prompt


@pytest.mark.integration
def test_topics_are_named_from_their_sentences_not_from_the_chat_turn(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under Gemma's chat turns 3 of these 8 prompts were named "Model" and 3 copied the example.
    monkeypatch.setattr(Llama, "_init_sampler", lazy_grammar._init_sampler)
    llama = Llama(
        model_path=str(local_llm_gguf()),
        n_ctx=CONTEXT_TOKENS,
        chat_format=CHAT_FORMAT,
        verbose=False,
    )
    prompts = maec_naming_prompts(data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet", 8)
    try:
        names = [
            json.loads(
                llama.create_chat_completion(  # type: ignore[index]
                    messages=prompt,  # type: ignore[arg-type]
                    response_format={
                        "type": "json_object",
                        "schema": TopicName.model_json_schema(),
                    },
                    max_tokens=160,
                    temperature=0.0,
                )["choices"][0]["message"]["content"],
                strict=False,
            )["name"]
            for prompt in prompts
        ]
    finally:
        llama.close()

    assert not [name for name in names if name.strip().lower() == "model"], names
    assert "Same-store sales growth" not in names, names
