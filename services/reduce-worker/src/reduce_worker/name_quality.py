"""How good a quarter's names and theme keywords are, beside the plain keyword-name baseline.

- **name fit** (`ftm_shared.llm.fit`): accuracy@1 and @3 of the written names (LLM names and
  keyword fallbacks alike, as a reader gets them), each against its own item: a topic among its
  firm's topics (firms with two or more), a theme among the quarter's themes. Beside them, the
  same for **keyword names** (an item's first three distinct keyword phrases, as BERTopic labels
  a topic): an LLM name must beat it to earn its place.
- **unfinished or repeated names**: names that end in punctuation or say a phrase twice, the
  fallbacks included (`ftm_shared.llm.grounding`); the target is none.
- **descriptions that retell one topic**: LLM theme descriptions that repeat eight or more
  words in a row of one member topic's summary (`grounding.copied_run`): they describe that
  topic, or worse its keyword fallback ("Sentences about ..."), not what the firms share.
- **summaries cut off or looping**: LLM theme descriptions with no whole sentence (the
  server's grammar cut them at the schema's limit) or saying a five-word phrase twice
  (`grounding.summary_problem`); the topic summaries' share is in `quality.py`.
- **descriptions speaking as one firm**: LLM theme descriptions in the first or second person
  ("We are looking to focus on the store"): a firm's words, not what the firms share.
- **descriptions saying more than their topics**: LLM theme names and descriptions with a word
  that neither the member topics' names, summaries and keywords nor common call language use
  ("pandemic" in 2017), or a description defining the name ("Net income is the net income").
- **theme keywords one firm uses**: the share of theme keywords that only one of the theme's
  firms uses in its topics' keywords or sentences (a name, a product, a place;
  `themes.TopicTerms`).
- **filler in the largest theme**: how many of its top-10 keyword words are function words or
  filler (`filler.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ftm_shared.llm.fit import Embed, accuracy, fit_ranks, keyword_name
from ftm_shared.llm.grounding import (
    copied_run,
    fragment_reason,
    lone_name,
    repeated_phrase,
    said_beyond,
    speaker_word,
    summary_problem,
)
from reduce_worker.filler import filler_words
from reduce_worker.themes import TopicTerms, theme_centroids


def unfinished_or_repeated(name: str) -> bool:
    """`name` ends in punctuation (a closing bracket or a per cent sign aside) or says a
    phrase twice."""
    stripped = name.strip()
    if not stripped:
        return False
    unfinished = not stripped[-1].isalnum() and stripped[-1] not in ")%"
    return unfinished or repeated_phrase(stripped) is not None


def _topic_ranks(topics: pd.DataFrame, names: Sequence[str], embed: Embed) -> np.ndarray:
    """Each topic name's rank among its firm's topics (firms with one topic left out)."""
    vectors = embed(list(names))
    centroids = np.stack(topics["centroid"].to_numpy()).astype(np.float64)
    ranks: list[int] = []
    for _, rows in topics.groupby("firm_id", sort=False).indices.items():
        if len(rows) < 2:
            continue
        own = np.arange(len(rows))
        ranks += fit_ranks(vectors[rows], centroids[rows], own).tolist()
    return np.asarray(ranks, dtype=np.int64)


def _fit(prefix: str, ranks: np.ndarray, baseline: np.ndarray) -> dict[str, Any]:
    return {
        f"{prefix}_name_fit_at1": accuracy(ranks, 1),
        f"{prefix}_name_fit_at3": accuracy(ranks, 3),
        f"{prefix}_keyword_name_fit_at1": accuracy(baseline, 1),
        f"{prefix}_keyword_name_fit_at3": accuracy(baseline, 3),
    }


def name_fit(
    topics: pd.DataFrame,
    members: Sequence[Sequence[int]],
    theme_names: Sequence[str],
    theme_keywords: Sequence[Sequence[str]],
    embed: Embed,
) -> dict[str, Any]:
    """Accuracy@1/@3 of topic and theme names and of their keyword names. `topics`: the
    content topic rows (`name`, `keywords`, `centroid`, `firm_id`, `n_docs`); `members`: each
    theme's rows in `topics`; theme fit only when every theme has a name (a run whose naming
    failed is measured on its topics alone)."""
    report: dict[str, Any] = {}
    named = topics[topics["name"].fillna("").str.len() > 0].reset_index(drop=True)
    if len(named):
        report |= _fit(
            "topic",
            _topic_ranks(named, list(named["name"]), embed),
            _topic_ranks(named, [keyword_name(list(k)) for k in named["keywords"]], embed),
        )
    if members and len(theme_names) == len(members) and all(theme_names):
        unit = np.stack(topics["centroid"].to_numpy()).astype(np.float64)
        centroids = theme_centroids(members, unit, topics["n_docs"].to_numpy())
        own = list(range(len(members)))
        baseline = [keyword_name(list(k)) for k in theme_keywords]
        report |= _fit(
            "theme",
            fit_ranks(embed(list(theme_names)), centroids, own),
            fit_ranks(embed(baseline), centroids, own),
        )
    return report


def name_checks(
    topics: pd.DataFrame, theme_names: Sequence[str], theme_keywords: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Counts of names a reader would reject, over every written name (fallbacks too)."""
    topic_names = [str(n) for n in topics["name"] if n]
    theme_lone = sum(
        lone_name(name, keywords, [])
        for name, keywords in zip(theme_names, theme_keywords, strict=True)
    )
    return {
        "unfinished_or_repeated_names": sum(
            unfinished_or_repeated(n) for n in [*topic_names, *theme_names]
        ),
        "theme_lone_names": theme_lone,
        "theme_fragment_names": sum(fragment_reason(n) is not None for n in theme_names),
    }


def description_checks(
    topics: pd.DataFrame,
    members: Sequence[Sequence[int]],
    names: Sequence[str],
    descriptions: Sequence[str | None],
) -> dict[str, Any]:
    """The shares of LLM theme descriptions (None: named by keywords) that retell one member
    topic's summary, that have no whole sentence or loop, that speak as one firm, and that with
    their name use a word neither the members nor common call language use or define the name
    (`grounding.said_beyond`)."""
    named = [
        (rows, name, text)
        for rows, name, text in zip(members, names, descriptions, strict=True)
        if text is not None
    ]
    written = [(rows, text) for rows, _, text in named]
    copied = sum(
        copied_run(text, topics["summary"].iloc[list(rows)].tolist()) is not None
        for rows, text in written
    )
    unusable = sum(summary_problem(text) is not None for _, text in written)
    speaking = sum(speaker_word(text) is not None for _, text in written)
    beyond = sum(
        said_beyond(name, text, _shown(topics, rows)) is not None for rows, name, text in named
    )

    def share(count: int) -> float | None:
        return round(count / len(written), 4) if written else None

    return {
        "theme_descriptions": len(written),
        "theme_copied_description_share": share(copied),
        "theme_unfinished_or_looping_description_share": share(unusable),
        "theme_first_person_description_share": share(speaking),
        "theme_unsupported_description_share": share(beyond),
    }


def _shown(topics: pd.DataFrame, rows: Sequence[int]) -> list[str]:
    """What a theme's prompt shows of its members, at most: their names, summaries and
    keywords."""
    member = topics.iloc[list(rows)]
    return [
        *member["name"].fillna(""),
        *member["summary"].fillna(""),
        *(", ".join(keywords) for keywords in member["keywords"]),
    ]


def keyword_spread(
    topics: pd.DataFrame, members: Sequence[Sequence[int]], theme_keywords: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """The share of theme keywords only one member firm uses, and the filler words among the
    largest theme's top-10 keyword words."""
    one_firm = total = 0
    for rows, keywords in zip(members, theme_keywords, strict=True):
        member = topics.iloc[list(rows)]
        uses = [
            TopicTerms.of(list(k), list(docs)).used
            for k, docs in zip(member["keywords"], member["representative_docs"], strict=True)
        ]
        for keyword in keywords:
            users = {
                firm for firm, used in zip(member["firm_id"], uses, strict=True) if keyword in used
            }
            one_firm += len(users) <= 1
            total += 1
    largest = max(range(len(members)), key=lambda i: len(members[i]), default=None)
    flagged = filler_words(theme_keywords[largest]) if largest is not None else []
    return {
        "theme_keywords_one_firm_share": round(one_firm / total, 4) if total else None,
        "largest_theme_filler_words": len(flagged),
        "largest_theme_filler": ", ".join(flagged),
    }
