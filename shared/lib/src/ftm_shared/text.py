"""Sentences and words, the same way in every stage, so that keywords, the quarter's word counts
and the quality measures all see the same words.

Words are normalised as BERTopic's c-TF-IDF normalises documents: lower case, everything but
letters, digits and spaces removed ("year-over-year" is one word, "we're" is "were").
"""

from __future__ import annotations

import re

_DROPPED = re.compile(r"[^a-z0-9 ]+")
WORD_PATTERN = r"\b[a-z][a-z0-9]+\b"
_WORD = re.compile(WORD_PATTERN)
# A sentence ends at . ! or ? followed by a space and a capital, a digit or a quote; an
# abbreviation such as "U.S. Steel" splits too, which costs nothing for topics.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def normalise(text: str) -> str:
    return _DROPPED.sub("", text.lower().replace("\n", " "))


def words(text: str) -> list[str]:
    """The normalised words of `text`, in order."""
    return _WORD.findall(normalise(text))


def split_sentences(text: str) -> list[str]:
    """`text` cut into sentences (a speaker turn into its sentences; a sentence stays one)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]
