"""Every theme gets a short name and a one- or two-sentence description from the LLM.

The prompt shows the theme's most central member topics (name and summary, a few only, so it
stays short), its keywords, and the most central topics of the nearest other themes, asking
what sets this theme apart (as Anthropic's Clio names its clusters): so that generic names
("Quarterly results", "Growth") do not recur across themes. An answer that is a fragment,
generic, a nearby theme's topic, has no whole sentence of description or loops, speaks as one
firm ("we"), retells one topic's summary, states a number or name none of the theme's topics shown
gives, brings in a word neither they nor common call language use, defines its name
(`accept_theme`), or whose name or description fits another of the quarter's themes
better than its own (`ftm_shared.llm.fit`) is asked again. When no answer is accepted, the
theme is named by its own keyword phrases, the candidate that fits it best (`keyword_label`),
marked `keyword_fallback` in the themes' `naming_method`. A theme the LLM gives no usable answer
for at all (`StructuredOutputError`, after every retry) fails the run, and nothing is written,
unless the run's plan allowed the keyword fallback (NAMING_KEYWORD_FALLBACK: the smoke run's
small CPU model).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence

from pydantic import BaseModel, Field

from ftm_shared.llm import LlmClient, StructuredOutputError
from ftm_shared.llm.accept import AnswerRejectedError, structured_accepted
from ftm_shared.llm.fit import ItemFit, keyword_name
from ftm_shared.llm.grounding import (
    NAME_MAX_CHARS,
    copied_run,
    fragment_reason,
    lone_name,
    said_beyond,
    speaker_word,
    summary_problem,
    ungrounded_facts,
    written_summary,
)

SUMMARY_CHARS = 200


class ThemeLabel(BaseModel):
    # The length limits are in the schema the server decodes against: no rambling to max_tokens.
    name: str = Field(min_length=3, max_length=NAME_MAX_CHARS)
    description: str = Field(min_length=20, max_length=240)


LLM_METHOD = "llm"
# The same marker as map-worker's topics: named by keyword phrases, no LLM answer fitted.
FALLBACK_METHOD = "keyword_fallback"
FALLBACK_KEYWORDS = 8


def keyword_label(
    keywords: Sequence[str], n_topics: int, n_firms: int, fit: ItemFit | None = None
) -> ThemeLabel:
    """A theme no LLM answer fitted, named by its keyword phrases (the candidate that fits it
    best, with `fit`) and described by its keywords, saying so."""
    listed = ", ".join(keywords[:FALLBACK_KEYWORDS]) or "no keywords"
    name = fit.keyword_name(keywords) if fit is not None else keyword_name(keywords)
    return ThemeLabel.model_construct(
        name=name,
        description=f"{n_topics} topics of {n_firms} firms about {listed} (no LLM name fitted "
        "the theme: named by its keywords).",
    )


# Gemma 3 270M is a base model: worked examples steer it better than instructions, two keep it
# from copying either. Their subjects differ from map-worker's examples on purpose: a topic
# summary that copied one of those must not look like a correct answer here.
_EXAMPLES = (
    (
        [
            ("Freight costs", "Higher trucking and freight rates cut gross margin this quarter."),
            ("Supplier delays", "Component shortages at suppliers delayed some shipments."),
        ],
        [("Price increases", "We raised list prices to offset inflation in raw materials.")],
        "freight, suppliers, shortages, costs",
        "Supply chain pressure",
        "Companies describe higher freight costs and supplier delays that weighed on margins "
        "and shipments.",
    ),
    (
        [
            ("Subscription revenue", "Recurring subscription revenue grew as clients moved."),
            ("Cloud migration", "More customers are moving their workloads to our cloud."),
        ],
        [("License sales", "Perpetual license sales fell as expected.")],
        "cloud, subscription, recurring, customers",
        "Shift to cloud subscriptions",
        "Firms report customers moving to cloud services, which lifts recurring subscription "
        "revenue.",
    ),
)
_EXAMPLE_ANSWERS = {
    text.lower() for *_, name, description in _EXAMPLES for text in (name, description)
}
# Names that would fit nearly any theme of any quarter: they tell the themes apart from nothing.
_GENERIC = (
    "quarterly quarter results result financial performance growth business update overview "
    "outlook company companies earnings highlights strategy operations review and of the "
    "strong solid"
)
GENERIC_WORDS = frozenset(_GENERIC.split())


def _listed(topics: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"- {name}: {summary[:SUMMARY_CHARS]}" for name, summary in topics)


def _block(
    topics: Sequence[tuple[str, str]], contrast: Sequence[tuple[str, str]], keywords: str
) -> str:
    others = f"Nearby themes, not this one:\n{_listed(contrast)}\n" if contrast else ""
    return f"Topics:\n{_listed(topics)}\n{others}Keywords: {keywords}\nAnswer:"


# The static part comes first and never changes, so llama.cpp reuses its cached prefix.
PREAMBLE = (
    "Several companies' earnings calls share one theme. From their topics, name the theme in a "
    "few words, by what sets it apart from the nearby themes, and describe it in one or two "
    "plain sentences, as JSON.\n\n"
    + "".join(
        f"{_block(topics, contrast, keywords)} "
        f"{json.dumps({'name': name, 'description': description})}\n\n"
        for topics, contrast, keywords, name, description in _EXAMPLES
    )
)


def messages_for(
    topics: Sequence[tuple[str, str]],
    keywords: Sequence[str],
    contrast: Sequence[tuple[str, str]] = (),
) -> list[dict[str, str]]:
    """`topics`: (name, summary) of the theme's most central member topics; `contrast`: the
    same of the nearest other themes' most central topics."""
    block = _block(topics, contrast, ", ".join(keywords[:8]))
    return [{"role": "user", "content": PREAMBLE + block}]


# The firm-topic columns `shown_topics` takes, in its order.
SHOWN_COLUMNS = ("name", "summary", "naming_method", "keywords")


def shown_topics(
    names: Sequence[str],
    summaries: Sequence[str],
    naming_methods: Sequence[str | None],
    keywords: Sequence[Sequence[str]],
) -> list[tuple[str, str]]:
    """What the theme prompt shows of each topic: (name, summary) when an LLM wrote them; for a
    topic named by its keywords, its keywords in place of its generated summary ("Sentences
    about ...; no LLM name fitted the topic"), which says nothing a theme's description should
    repeat."""
    return [
        (
            name,
            summary
            if method != FALLBACK_METHOD
            else f"about {', '.join(list(words)[:FALLBACK_KEYWORDS]) or 'no keywords'}",
        )
        for name, summary, method, words in zip(
            names, summaries, naming_methods, keywords, strict=True
        )
    ]


def accept_theme(
    label: ThemeLabel,
    topics: Sequence[tuple[str, str]],
    keywords: Sequence[str],
    contrast: Sequence[tuple[str, str]] = (),
    fit: ItemFit | None = None,
) -> None:
    """Raise `AnswerRejectedError` for an answer that copies an example, is a fragment or
    generic, a lone name, takes a nearby theme's topic name, has no whole sentence of
    description or loops, speaks as one firm ("we"), retells one topic's summary,
    states a number or name that none of the theme's topics shown gives, uses a word neither
    they nor common call language use or defines the name (`grounding.said_beyond`), or fits
    another theme better (with `fit`)."""
    name = label.name.strip()
    if {name.lower(), label.description.strip().lower()} & _EXAMPLE_ANSWERS:
        raise AnswerRejectedError("the answer copies the prompt's example")
    words = re.findall(r"[a-z]+", name.lower())
    problem = fragment_reason(name)
    if problem:
        raise AnswerRejectedError(problem)
    if set(words) <= GENERIC_WORDS:
        raise AnswerRejectedError(f"the name fits any theme: {label.name!r}")
    shown = [text for topic in topics for text in topic] + [", ".join(keywords)]
    if lone_name(name, keywords, shown):
        raise AnswerRejectedError(f"the name is a lone person, company or place name: {name!r}")
    if name.lower() in {other.strip().lower() for other, _ in contrast}:
        raise AnswerRejectedError(f"the name is a nearby theme's topic: {label.name!r}")
    problem = summary_problem(label.description, "description")
    if problem:
        raise AnswerRejectedError(problem)
    description = written_summary(label.description)
    speaker = speaker_word(description)
    if speaker:
        raise AnswerRejectedError(f"the description speaks as one firm ({speaker!r})")
    copied = copied_run(description, [summary for _, summary in topics])
    if copied:
        raise AnswerRejectedError(f"the description retells one topic's summary: {copied!r}")
    invented = ungrounded_facts(description, shown)
    if invented:
        raise AnswerRejectedError(
            f"the description states what the topics do not: {', '.join(invented[:5])}"
        )
    beyond = said_beyond(name, description, shown)
    if beyond:
        raise AnswerRejectedError(beyond)
    if fit is not None:
        fit.check(name, description)


async def name_theme(
    client: LlmClient,
    topics: Sequence[tuple[str, str]],
    keywords: Sequence[str],
    per_prompt: int,
    contrast: Sequence[tuple[str, str]] = (),
    fit: ItemFit | None = None,
) -> ThemeLabel:
    """Name a theme from `per_prompt` of its topics (name, summary; most central first), set
    apart from `contrast` (the nearest themes' central topics), held to fit its own theme by
    `fit`.

    When that prompt gives no usable answer, the window moves by one topic and the theme is
    asked again, then the first window once more without the nearby themes (the small local
    model sometimes takes a fact from them): the client's own retries resample the same
    prompt, and a garbled member summary tends to derail every sample of it. The last error
    (`StructuredOutputError`, `AnswerRejectedError`) is raised when no prompt works.
    """
    prompts = [(topics[:per_prompt], contrast)]
    if len(topics) > 1:
        prompts.append((topics[1 : per_prompt + 1], contrast))
    if contrast:
        prompts.append((topics[:per_prompt], ()))
    for attempt, (window, nearby) in enumerate(prompts, start=1):
        try:
            label = await structured_accepted(
                client,
                messages_for(window, keywords, nearby),
                ThemeLabel,
                functools.partial(
                    accept_theme, topics=window, keywords=keywords, contrast=nearby, fit=fit
                ),
                max_tokens=200,
            )
        except (StructuredOutputError, AnswerRejectedError):
            if attempt == len(prompts):
                raise
            continue
        return label.model_copy(
            update={"name": label.name.strip(), "description": written_summary(label.description)}
        )
    raise AssertionError("unreachable")
