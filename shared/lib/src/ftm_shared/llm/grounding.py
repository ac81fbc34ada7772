"""Checks of an LLM's name and summary against the text it was shown.

A small model's answer can fit the schema and still fail the reader: a name that is a piece of
a sentence ("Turn", "Yes, let me do that and I'll turn it over"), a name copied word for word
from a sentence it was shown, or a summary that states a number or a name found in none of the
sentences. Each check returns why the answer fails, or None; the namers raise that reason as
`AnswerRejectedError` to ask again (`accept.structured_accepted`), and the quality measures
count the same failures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence


def _vocabulary(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A name is a noun phrase. These open or close a clause, not a phrase.
_CLAUSE_OPENERS = _vocabulary(
    "yes yeah no so and but or well okay ok i we you he she they it its it's let let's "
    "thank thanks turn please if when because as to"
)
_DANGLING_ENDS = _vocabulary(
    "and or but of the a an to for with in on at by from that which as is are was were "
    "be been our their its this these"
)
_PRONOUNS = _vocabulary("i we you me us i'm we're you're i'll we'll i've we've")
# One word alone names a topic only when it is a domain noun; these are words a cut-off
# sentence leaves behind (the examples: "Turn", "Fall").
_LONE_FRAGMENTS = _vocabulary(
    "turn fall yes no thanks thank okay well so next again right sure great good first second "
    "third last overall also question questions model answer"
)
MAX_NAME_WORDS = 8
MIN_COPIED_WORDS = 4
_WORD = re.compile(r"[a-z0-9][a-z0-9'&.-]*", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Capitalised words a summary may use without the sentences naming them.
_COMMON_CAPITALS = _vocabulary(
    "i the a an management company companies firm firms ceo cfo coo q1 q2 q3 q4 gaap eps us u.s usd"
)


def _words(text: str) -> list[str]:
    return [word.strip(".'-").lower() for word in _WORD.findall(text)]


def fragment_reason(name: str) -> str | None:
    """Why `name` reads as a piece of a sentence rather than a name, or None."""
    words = _words(name)
    if not words:
        return "the name has no words"
    if len(words) > MAX_NAME_WORDS:
        return f"the name is a sentence ({len(words)} words), not a short name"
    if len(words) == 1 and words[0] in _LONE_FRAGMENTS:
        return f"the name is a lone leftover word: {name!r}"
    if words[0] in _CLAUSE_OPENERS:
        return f"the name opens like a sentence ({words[0]!r}): {name!r}"
    if words[-1] in _DANGLING_ENDS:
        return f"the name is cut off after {words[-1]!r}: {name!r}"
    if _PRONOUNS & set(words):
        return f"the name speaks in the first or second person: {name!r}"
    if name.rstrip().endswith(("?", "!")):
        return f"the name is a question or exclamation: {name!r}"
    return None


def copied_sentence(name: str, sentences: Iterable[str]) -> str | None:
    """The sentence `name` is copied from, word for word (`MIN_COPIED_WORDS` or more in a
    row), or None."""
    words = _words(name)
    if len(words) < MIN_COPIED_WORDS:
        return None
    phrase = f" {' '.join(words)} "
    for sentence in sentences:
        if phrase in f" {' '.join(_words(sentence))} ":
            return sentence
    return None


def ungrounded_facts(summary: str, sentences: Sequence[str]) -> list[str]:
    """Numbers and capitalised names in `summary` that appear in none of `sentences`."""
    source = " ".join(sentences)
    numbers = {number.replace(",", "") for number in _NUMBER.findall(source)}
    source_words = set(_words(source))
    missing = [
        number for number in _NUMBER.findall(summary) if number.replace(",", "") not in numbers
    ]
    for sentence in _SENTENCE_END.split(summary.strip()):
        # A capitalised word that does not open its sentence: a company, product, place, person.
        for token in sentence.split()[1:]:
            word = token.strip(".,;:!?()\"'")
            if word[:1].isupper() and word.lower() not in _COMMON_CAPITALS | source_words:
                missing.append(word)
    return list(dict.fromkeys(missing))


def naming_problem(name: str, summary: str, sentences: Sequence[str]) -> str | None:
    """The first reason a (name, summary) answer about `sentences` is not acceptable."""
    reason = fragment_reason(name)
    if reason:
        return reason
    if copied_sentence(name, sentences):
        return f"the name copies a sentence word for word: {name!r}"
    invented = ungrounded_facts(summary, sentences)
    if invented:
        return f"the summary states what the sentences do not: {', '.join(invented[:5])}"
    return None
