"""A naming-style workload from real MAEC sentences, shared by the client's tests and benchmark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, Field

Messages = list[dict[str, str]]


class TopicName(BaseModel):
    # Length limits are part of the schema the server decodes against, so a small model
    # cannot ramble until max_tokens.
    name: str = Field(min_length=1, max_length=60)
    summary: str = Field(min_length=1, max_length=200)


# Gemma 3 270M is a base model: one worked example steers it far better than instructions.
_EXAMPLE = (
    "Sentences:\n- Same-store sales rose 4% as traffic improved.\n"
    "- We expect comparable sales growth to continue next quarter.\n"
    'Answer: {"name": "Same-store sales growth", "summary": "Management reported higher '
    'same-store sales on better traffic and expects the growth to continue."}\n\n'
)


def naming_prompt(sentences: list[str]) -> Messages:
    joined = "\n".join(f"- {sentence}" for sentence in sentences)
    return [
        {
            "role": "user",
            "content": "Name the topic of sentences from an earnings call and summarise it "
            "in one sentence, as JSON.\n\n"
            f"{_EXAMPLE}Sentences:\n{joined}\nAnswer:",
        }
    ]


def maec_naming_prompts(
    maec_file: Path, count: int, sentences_per_prompt: int = 3
) -> list[Messages]:
    """`count` prompts of consecutive mid-length sentences, deterministic for a given file."""
    frame = pd.read_parquet(maec_file, columns=["text"])
    texts = frame[frame.text.str.len().between(40, 200)].text.head(count * sentences_per_prompt)
    if len(texts) < count * sentences_per_prompt:
        raise ValueError(f"{maec_file} has too few sentences for {count} prompts")
    return [
        naming_prompt(list(texts.iloc[i : i + sentences_per_prompt]))
        for i in range(0, count * sentences_per_prompt, sentences_per_prompt)
    ]
