"""Every topic gets a short name and a one- or two-sentence summary from the LLM.

An answer that only repeats the keyword string or copies the prompt's worked example is not a
summary: it is asked again, then reported. A keyword fallback exists only when the caller asks
for it, and is then marked as such in `naming_method`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel, Field

from ftm_shared.llm import LlmClient, StructuredOutputError
from map_worker.topics import Topic

LLM_METHOD = "llm"
RETRY_TEMPERATURES = (0.0, 0.6, 0.9, 1.0)
FALLBACK_METHOD = "keyword_fallback"


class TopicLabel(BaseModel):
    # The length limits are in the schema the server decodes against: no rambling to max_tokens.
    name: str = Field(min_length=3, max_length=60)
    summary: str = Field(min_length=20, max_length=240)


# Gemma 3 270M is a base model: worked examples steer it far better than instructions, and
# two different ones keep it from copying either (it copies a lone example almost always).
_EXAMPLES = (
    (
        "same-store, sales, traffic, comparable",
        [
            "Same-store sales rose 4% as traffic improved.",
            "We expect comparable sales growth to continue next quarter.",
        ],
        "Same-store sales growth",
        "Management reported higher same-store sales on better traffic and expects the growth "
        "to continue.",
    ),
    (
        "debt, leverage, refinancing, notes",
        [
            "We refinanced our 2019 notes at a lower rate.",
            "Net leverage ended the year at 2.1 times.",
        ],
        "Refinancing and leverage",
        "The company refinanced maturing notes more cheaply and brought net leverage down.",
    ),
)
_EXAMPLE_NAMES = {name.lower() for _, _, name, _ in _EXAMPLES}


def _example_block() -> str:
    blocks = []
    for keywords, sentences, name, summary in _EXAMPLES:
        listed = "\n".join(f"- {sentence}" for sentence in sentences)
        answer = json.dumps({"name": name, "summary": summary})
        blocks.append(f"Keywords: {keywords}\nSentences:\n{listed}\nAnswer: {answer}\n\n")
    return "".join(blocks)


_EXAMPLE = _example_block()


@dataclass(frozen=True)
class TopicNaming:
    name: str
    summary: str
    naming_method: str


class NamingRejectedError(ValueError):
    pass


# Static text first: llama.cpp (and vLLM's prefix cache) then reuse the evaluated instruction
# and examples across requests and evaluate only the topic. No firm name: it would break that
# prefix, and Gemma 270M, given one, names the topic after the firm.
_PREFIX = (
    "Name one topic of a company's earnings call and summarise it in one or two plain "
    f"sentences, as JSON.\n\n{_EXAMPLE}"
)


def messages_for(topic: Topic) -> list[dict[str, str]]:
    sentences = "\n".join(f"- {doc[:300]}" for doc in topic.representative_docs)
    return [
        {
            "role": "user",
            "content": f"{_PREFIX}Keywords: {', '.join(topic.keywords[:8])}\n"
            f"Sentences:\n{sentences}\nAnswer:",
        }
    ]


def _check(label: TopicLabel, topic: Topic) -> None:
    summary = label.summary.strip().lower()
    if summary in {topic.representation.lower(), " ".join(topic.keywords).lower()}:
        raise NamingRejectedError("the summary only repeats the keywords")
    if label.name.strip().lower() in _EXAMPLE_NAMES:
        raise NamingRejectedError("the answer copies the prompt's example")


async def name_topic(
    client: LlmClient, topic: Topic, *, keyword_fallback: bool = False
) -> TopicNaming:
    """Name `topic`; raise `StructuredOutputError`/`NamingRejectedError` when it cannot be
    named (unless `keyword_fallback`, which then returns an explicitly marked fallback)."""
    messages = messages_for(topic)
    rejection: Exception | None = None
    # A rejected answer is asked again with more randomness: the small local model sometimes
    # copies an example at temperature 0 and rarely twice in a row at higher ones.
    for temperature in RETRY_TEMPERATURES:
        try:
            label = await client.structured(
                messages, TopicLabel, max_tokens=200, temperature=temperature
            )
            _check(label, topic)
            return TopicNaming(label.name.strip(), label.summary.strip(), LLM_METHOD)
        except (StructuredOutputError, NamingRejectedError) as error:
            rejection = error
            if isinstance(error, StructuredOutputError):
                break  # the client already spent its attempts
    if keyword_fallback:
        keywords = ", ".join(topic.keywords[:6]) or "no keywords"
        return TopicNaming(
            topic.representation or f"topic {topic.topic_id}",
            f"Sentences about {keywords} ({topic.n_docs} sentences; no LLM summary).",
            FALLBACK_METHOD,
        )
    assert rejection is not None
    raise rejection
