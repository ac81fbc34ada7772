"""Does a name point at its own topic or theme, rather than at a neighbour's?

A name is embedded with the model the sentences were embedded with (`ftm_shared.embedding`) and
compared with every item's centroid (the unit mean of its sentences' embeddings). Its **fit
rank** is where its own item comes among them, most similar first: 1 means that a reader given
the name and the items would pick the right one. The items are a firm's topics for a topic
name and the quarter's themes for a theme name. Anthropic's Clio names clusters contrastively;
this turns that idea into a check:

- the namers accept an LLM answer only when its name and its summary both rank their own item
  first (`NameGate`), and ask again otherwise;
- when no answer does, the item is named by its own distinctive keyword phrases
  (`keyword_name`), the candidate that fits best, and marked as such: no unchecked name is
  written;
- the quality measures report accuracy@1 and @3 of the written names beside the same for
  keyword names, the plain baseline a reader would otherwise use (BERTopic labels a topic by its
  top words).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ftm_shared.llm.accept import AnswerRejectedError
from ftm_shared.text import singular, words

Embed = Callable[[Sequence[str]], np.ndarray]
"""Texts to unit-length embeddings, one row per text."""

KEYWORD_NAME_PHRASES = 3


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def fit_ranks(
    vectors: np.ndarray, centroids: np.ndarray, own: Sequence[int] | np.ndarray
) -> np.ndarray:
    """For each row of `vectors` (unit), the rank of its own item `own[i]` among the rows of
    `centroids` (unit) by cosine similarity: 1 is the most similar. Ties count against it."""
    if len(own) == 0:
        return np.zeros(0, dtype=np.int64)
    similarity = np.asarray(vectors, dtype=np.float64) @ np.asarray(centroids, dtype=np.float64).T
    mine = similarity[np.arange(len(own)), np.asarray(own)]
    others = similarity >= mine[:, None]
    return np.asarray(others.sum(axis=1), dtype=np.int64)


def accuracy(ranks: Sequence[int] | np.ndarray, k: int) -> float | None:
    """The share of names whose own item ranks within the first `k` (None with no names)."""
    ranks = np.asarray(ranks)
    return round(float((ranks <= k).mean()), 4) if len(ranks) else None


def keyword_candidates(keywords: Sequence[str], n: int = KEYWORD_NAME_PHRASES) -> list[str]:
    """Names made of the item's keyword phrases, best first: its first `n` phrases that add a
    word the earlier ones lack ("cash flow, dividends, buyback", never "cash flow, cash"),
    then the same from the second phrase on, then the first phrase alone."""

    def phrases(start: int) -> list[str]:
        chosen: list[str] = []
        used: set[str] = set()

        def said(phrase: str) -> set[str]:
            return {singular(word) for word in words(phrase)}

        for keyword in keywords[start:]:
            new = said(keyword)
            if not new or new <= used or any(said(c) <= new for c in chosen):
                continue
            chosen.append(keyword.strip())
            used |= new
            if len(chosen) == n:
                break
        return chosen

    found = [phrases(0), phrases(1), phrases(0)[:1]]
    names = [_as_name(chosen) for chosen in found if chosen]
    return list(dict.fromkeys(names))


def _as_name(phrases: Sequence[str]) -> str:
    text = ", ".join(phrases)
    return text[:1].upper() + text[1:]


def keyword_name(keywords: Sequence[str]) -> str:
    """The plain keyword name of an item (the baseline): its first distinct keyword phrases."""
    candidates = keyword_candidates(keywords)
    return candidates[0] if candidates else "No keywords"


class NameGate:
    """Fit checks against one set of items: a firm's topics, or a quarter's themes."""

    def __init__(self, embed: Embed, centroids: np.ndarray) -> None:
        self.embed = embed
        self.centroids = unit_rows(centroids)

    def ranks(self, texts: Sequence[str], own: int) -> list[int]:
        if not texts:
            return []
        vectors = self.embed(list(texts))
        return [int(r) for r in fit_ranks(vectors, self.centroids, [own] * len(texts))]

    def check(self, name: str, summary: str, own: int) -> None:
        """Raise `AnswerRejectedError` unless both `name` and `summary` rank item `own` first."""
        if len(self.centroids) < 2:
            return
        name_rank, summary_rank = self.ranks([name, summary], own)
        if name_rank > 1:
            raise AnswerRejectedError(
                f"the name fits {name_rank - 1} other item(s) as well as its own or better: "
                f"{name!r}"
            )
        if summary_rank > 1:
            raise AnswerRejectedError(
                f"the summary fits {summary_rank - 1} other item(s) as well as its own or better"
            )

    def keyword_name(self, keywords: Sequence[str], own: int) -> str:
        """The keyword-phrase name of item `own` that fits it best (the first on a tie)."""
        candidates = keyword_candidates(keywords) or ["No keywords"]
        ranks = self.ranks(candidates, own) if len(self.centroids) > 1 else [1] * len(candidates)
        return candidates[int(np.argmin(ranks))]

    def item(self, own: int) -> ItemFit:
        return ItemFit(self, own)


class ItemFit:
    """One item's checks: `NameGate.check` and `NameGate.keyword_name` for item `own`."""

    def __init__(self, gate: NameGate, own: int) -> None:
        self.gate, self.own = gate, own

    def check(self, name: str, summary: str) -> None:
        self.gate.check(name, summary, self.own)

    def keyword_name(self, keywords: Sequence[str]) -> str:
        return self.gate.keyword_name(keywords, self.own)
