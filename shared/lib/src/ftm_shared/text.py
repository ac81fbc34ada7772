"""Sentences and words, the same way in every stage, so that keywords, the quarter's word counts
and the quality measures all see the same words.

Words are normalised as BERTopic's c-TF-IDF normalises documents: lower case, everything but
letters, digits and spaces removed ("year-over-year" is one word, "we're" is "were").
"""

from __future__ import annotations

import functools
import re

import snowballstemmer

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


def singular(word: str) -> str:
    """`word` without a plural's final "s" ("revenues" -> "revenue"; "gas", "business" kept):
    enough to tell that two keywords or name parts say the same word."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


_LETTERS = re.compile(r"[a-z]+")
_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def stems(text: str) -> list[str]:
    """The Snowball (Porter 2) stems of `text`'s words, in order, a hyphenated word as its
    parts ("cloud-based" -> "cloud", "base"), a possessive without its "s": so that "carried"
    and "carry", "sustainability" and "sustainable" are one word."""
    plain = re.sub(r"['\u2019]s\b", "", text.lower())
    return [_stem(word) for word in _LETTERS.findall(plain)]


def split_sentences(text: str) -> list[str]:
    """`text` cut into sentences (a speaker turn into its sentences; a sentence stays one)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


# Words a speaker uses to hold the floor, hedge or be polite, whatever the subject: spoken
# filler, hedging and modal verbs, Q&A turn-taking. None of them says what a topic is about, so
# they are never keywords (map-worker) and a theme whose words are mostly these (or function
# words) is filler, not a subject (reduce-worker). Normalised text has no apostrophes: "I'll"
# arrives as "ill", "we're" as "were".
_FILLER = (
    # spoken filler and transcript artefacts (MAEC's masked names, Earnings-21's unclear speech)
    "unk thank thanks yes yeah okay ok good morning afternoon evening everyone hi hello just "
    "really think know going like lot kind sort bit little um uh maybe look looking said say "
    "saying got get getting want way things thing able inaudible crosstalk "
    # contractions as normalised text has them
    "weve were im youre dont thats its theyre theyve ive lets well youve didnt doesnt isnt ill id "
    "youll theyll wed youd theyd hes shes wont cant arent wasnt werent theres heres whats "
    # hedging and modal talk
    "believe expect expecting expected hope hopefully guess mean means feel need needs "
    "continue continues continuing certainly obviously clearly actually basically probably "
    "definitely absolutely pretty sure case terms point sense fact frankly honestly "
    # Q&A turn-taking and politeness
    "question questions answer answers ask asked asking forgive sorry apologize appreciate "
    "floor comment comments color colour add follow followup clarify helpful hear talk "
    "talked talking mentioned touch walk "
    # verbs of turn-taking and agreement ("let me make it right", "we haven't done that")
    "make making let havent hasnt doing happen happens happened typically stuff"
)
FILLER_WORDS = frozenset(_FILLER.split())
