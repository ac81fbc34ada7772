"""Every topic gets a short name and a one- or two-sentence summary from the LLM.

An answer that only repeats the keyword string, copies the prompt's worked example, names the
topic with a sentence fragment or a sentence copied word for word, has no whole sentence of
summary or loops, states a number or name found in none of the sentences shown
(`ftm_shared.llm.grounding`), or whose name or summary fits another of the firm's topics better
than its own (`ftm_shared.llm.fit`) is not accepted: it is asked again at the next of
`NAMING_TEMPERATURES` (`structured_accepted`). An accepted summary is written as whole
sentences, each once (`grounding.clean_summary`: the model's text trimmed, never reworded).
When no answer is accepted, the topic is named by its own keyword phrases, the candidate that
fits it best, and marked `keyword_fallback`: every run writes a checked name or none. A topic
the LLM gives no usable answer for at all (`StructuredOutputError`) fails its firm, unless the
caller allows the keyword fallback for that too (the smoke run's small CPU model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel, Field

from ftm_shared.llm import LlmClient, StructuredOutputError
from ftm_shared.llm.accept import AnswerRejectedError, structured_accepted
from ftm_shared.llm.fit import ItemFit, keyword_name
from ftm_shared.llm.grounding import NAME_MAX_CHARS, naming_problem, written_summary
from map_worker.config import NamingTuning
from map_worker.topics import PROCEDURE_TOPIC_ID, Topic

LLM_METHOD = "llm"
FALLBACK_METHOD = "keyword_fallback"
# The firm's call procedure (topic -1) is not a topic: it is labelled, not named by the LLM.
PROCEDURE_METHOD = "procedure"
PROCEDURE_NAME = "Call procedure"


class TopicLabel(BaseModel):
    # The length limits are in the schema the server decodes against: no rambling to max_tokens.
    name: str = Field(min_length=3, max_length=NAME_MAX_CHARS)
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


# Static text first: llama.cpp (and vLLM's prefix cache) then reuse the evaluated instruction
# and examples across requests and evaluate only the topic. No firm name: it would break that
# prefix, and Gemma 270M, given one, names the topic after the firm.
_PREFIX = (
    "Name one topic of a company's earnings call and summarise it in one or two plain "
    f"sentences, as JSON.\n\n{_EXAMPLE}"
)


def messages_for(topic: Topic, tuning: NamingTuning) -> list[dict[str, str]]:
    cut = tuning.naming_sentence_chars
    sentences = "\n".join(f"- {doc[:cut]}" for doc in topic.representative_docs)
    keywords = ", ".join(topic.keywords[: tuning.naming_keywords])
    return [
        {
            "role": "user",
            "content": f"{_PREFIX}Keywords: {keywords}\nSentences:\n{sentences}\nAnswer:",
        }
    ]


def check_label(label: TopicLabel, topic: Topic, fit: ItemFit | None) -> None:
    """Raise `AnswerRejectedError` saying why `label` is not a name for `topic`."""
    summary = label.summary.strip().lower()
    if summary in {topic.representation.lower(), " ".join(topic.keywords).lower()}:
        raise AnswerRejectedError("the summary only repeats the keywords")
    if label.name.strip().lower() in _EXAMPLE_NAMES:
        raise AnswerRejectedError("the answer copies the prompt's example")
    # What the model was shown: a name or fact from elsewhere is not grounded in the topic.
    problem = naming_problem(
        label.name,
        label.summary,
        [*topic.representative_docs, ", ".join(topic.keywords)],
        topic.keywords,
    )
    if problem:
        raise AnswerRejectedError(problem)
    if fit is not None:
        fit.check(label.name, written_summary(label.summary))


async def name_topic(
    client: LlmClient,
    topic: Topic,
    tuning: NamingTuning,
    *,
    fit: ItemFit | None = None,
    keyword_fallback: bool = False,
) -> TopicNaming:
    """Name `topic`; `fit` holds it to fitting its own topic among the firm's (None: not
    checked, the firm has one topic or the caller has no embeddings). Raise
    `StructuredOutputError` when the LLM gives no usable answer, unless `keyword_fallback`."""
    if topic.topic_id == PROCEDURE_TOPIC_ID:
        return procedure_naming(topic)
    try:
        label = await structured_accepted(
            client,
            messages_for(topic, tuning),
            TopicLabel,
            lambda answer: check_label(answer, topic, fit),
            max_tokens=tuning.naming_max_tokens,
            temperatures=tuning.naming_temperatures,
        )
    except AnswerRejectedError:
        return keyword_naming(topic, tuning, fit)
    except StructuredOutputError:
        if not keyword_fallback:
            raise
        return keyword_naming(topic, tuning, fit)
    return TopicNaming(label.name.strip(), written_summary(label.summary), LLM_METHOD)


def keyword_naming(topic: Topic, tuning: NamingTuning, fit: ItemFit | None) -> TopicNaming:
    """The topic named by its own keyword phrases, saying so in its summary and method."""
    keywords = topic.keywords[: tuning.naming_keywords]
    name = fit.keyword_name(keywords) if fit is not None else keyword_name(keywords)
    listed = ", ".join(keywords) or "no keywords"
    return TopicNaming(
        name,
        f"Sentences about {listed} ({topic.n_docs} sentences; no LLM name fitted the topic).",
        FALLBACK_METHOD,
    )


def procedure_naming(topic: Topic) -> TopicNaming:
    kinds = ", ".join(topic.keywords) or "call procedure"
    return TopicNaming(
        PROCEDURE_NAME,
        f"{topic.n_docs} sentence(s) set aside as call procedure ({kinds}); not a topic.",
        PROCEDURE_METHOD,
    )
