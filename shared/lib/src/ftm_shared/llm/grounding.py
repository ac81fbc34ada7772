"""Checks of an LLM's name and summary against the text it was shown.

A small model's answer can fit the schema and still fail the reader: a name that is a piece of
a sentence ("Turn", "Yes, let me do that and I'll turn it over", "Increased growth potential
for the company,"), says a phrase twice ("Lower labor costs and lower labor costs"), is a lone
person's or company's name found in no keyword ("Ahmad"), or is copied word for word from a
sentence it was shown; or a summary that states a number or a name found in none of the
sentences, uses a word that neither they nor common call language use, or defines the name
(`said_beyond`, `ftm_shared.llm.support`). Each check returns why the answer fails, or None;
the namers raise that reason as `AnswerRejectedError` to ask again
(`accept.structured_accepted`), and the quality measures count the same failures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ftm_shared.llm.support import defines_name, restates_name, unsupported_words
from ftm_shared.text import singular


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
# The namers' schemas cap a name at this many characters, and the server's grammar then cuts
# the string there: a name that fills the cap was cut off ("..., coach brand, st").
NAME_MAX_CHARS = 60
MIN_COPIED_WORDS = 4
# A description that repeats this many words in a row of one text it was shown retells that one
# text, not what the texts it was shown to sum up share.
COPIED_RUN_WORDS = 8
# A word said this many times in a short name is a loop ("Model 1: Model 2: Model 3").
LOOPING_WORD_COUNT = 3
_WORD = re.compile(r"[a-z0-9][a-z0-9'&.-]*", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Capitalised words a summary may use without the sentences naming them.
_COMMON_CAPITALS = _vocabulary(
    "i the a an management company companies firm firms ceo cfo coo q1 q2 q3 q4 gaap eps us u.s usd"
)


def _words(text: str) -> list[str]:
    return [word.strip(".'-").lower() for word in _WORD.findall(text)]


# A name ends in a word, a digit, a closing bracket or a per cent sign; a comma, colon, dash or
# full stop at its end is a sentence cut off ("Increased growth potential for the company,").
_UNFINISHED_END = re.compile(r"[^\w)%?!]\s*$")


def repeated_phrase(name: str) -> str | None:
    """The phrase `name` says twice ("Lower labor costs and lower labor costs", "Margins and
    margins"), or a word it says `LOOPING_WORD_COUNT` times ("Model 1: Model 2: Model 3"), or
    None. "Year over year growth" repeats a word, not a phrase: a lone word said twice counts
    only where it is joined to itself ("X and X", "X, X")."""
    words = _words(name)
    for size in range(len(words) // 2, 1, -1):
        seen: set[tuple[str, ...]] = set()
        for start in range(len(words) - size + 1):
            gram = tuple(words[start : start + size])
            if gram in seen:
                return " ".join(gram)
            seen.add(gram)
    looping = [word for word in dict.fromkeys(words) if words.count(word) >= LOOPING_WORD_COUNT]
    if looping:
        return looping[0]
    joined = re.findall(r"\b([a-z0-9'&.-]+)\s*(?:,|and|or|&|/)\s*\1\b", name.lower())
    if joined:
        return str(joined[0])
    # A list that names one item twice, apart ("Weitzman, stuart, weitzman, footwear").
    parts = [" ".join(map(singular, _words(part))) for part in _LIST_SEPARATOR.split(name)]
    listed = [part for part in parts if part]
    twice = [part for n, part in enumerate(listed) if part in listed[:n]]
    return twice[0] if twice else None


_LIST_SEPARATOR = re.compile(r",|;|/|&|\band\b|\bor\b", re.IGNORECASE)


def fragment_reason(name: str) -> str | None:
    """Why `name` reads as a piece of a sentence rather than a name, or None."""
    words = _words(name)
    if not words:
        return "the name has no words"
    if _UNFINISHED_END.search(name.strip()):
        return f"the name ends in punctuation, as a cut-off sentence does: {name!r}"
    if len(name.strip()) >= NAME_MAX_CHARS:
        return f"the name fills the {NAME_MAX_CHARS}-character limit, so it was cut off: {name!r}"
    repeated = repeated_phrase(name)
    if repeated:
        return f"the name says {repeated!r} more than once: {name!r}"
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


def lone_name(name: str, keywords: Iterable[str], sentences: Iterable[str]) -> bool:
    """`name` is only a person's, company's or place's name ("Ahmad", "Ann Anthony",
    "Cameracorp"): one to three capitalised words, none of them in the item's keywords, and at
    least one that its sentences never use as an ordinary lower-case word. A fragment
    ("Turn") is not also called a name."""
    tokens = name.split()
    if fragment_reason(name) is not None:
        return False
    if not 1 <= len(tokens) <= 3 or not all(token[:1].isupper() for token in tokens):
        return False
    named = _words(name)
    keyword_words = {word for keyword in keywords for word in _words(keyword)}
    if any(word[:5] == known[:5] for word in named for known in keyword_words):
        return False
    ordinary = {
        token.strip(".,;:!?()\"'").lower()
        for sentence in sentences
        for token in sentence.split()[1:]
        if token[:1].islower()
    }
    return any(word not in ordinary for word in named)


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


def copied_run(text: str, sources: Iterable[str], run: int = COPIED_RUN_WORDS) -> str | None:
    """The source `text` repeats `run` or more words in a row of, or None."""
    words = _words(text)
    runs = {f" {' '.join(words[start : start + run])} " for start in range(len(words) - run + 1)}
    for source in sources:
        joined = f" {' '.join(_words(source))} "
        if any(gram in joined for gram in runs):
            return source
    return None


# A sentence ends in . ! or ? (closing quotes or brackets after it) before a space or the end:
# "$0.03" and "2.1 times" do not end one.
_SENTENCE_CLOSE = re.compile(r"[.!?][\"')\]]*(?=\s|$)")
# The summaries' schemas start at this many characters; less is no summary.
MIN_SUMMARY_CHARS = 20
# A phrase this long said twice in a one- or two-sentence summary is a loop ("store
# performance, store performance, store", "we are looking to focus on the store ... we are
# looking to focus on the store").
LOOPING_PHRASE_WORDS = 5


def clean_summary(text: str) -> str | None:
    """`text` up to the end of its last whole sentence, each sentence said once, or None when
    less than `MIN_SUMMARY_CHARS` is left. The server's grammar cuts a long answer at the
    schema's limit mid-sentence ("..., and we are,"), and a small model repeats its own
    sentences ("X. X. X."): both are the model's text, trimmed, never reworded."""
    stripped = text.strip()
    ends = [match.end() for match in _SENTENCE_CLOSE.finditer(stripped)]
    if not ends:
        return None
    kept: list[str] = []
    seen: set[str] = set()
    for sentence in _SENTENCE_END.split(stripped[: ends[-1]]):
        said = " ".join(_words(sentence))
        if said not in seen:
            seen.add(said)
            kept.append(sentence)
    cleaned = " ".join(kept)
    return cleaned if len(cleaned) >= MIN_SUMMARY_CHARS else None


def looping_summary(text: str) -> str | None:
    """The `LOOPING_PHRASE_WORDS`-word phrase `text` says twice, or None."""
    words = _words(text)
    size = LOOPING_PHRASE_WORDS
    grams = [" ".join(words[start : start + size]) for start in range(len(words) - size + 1)]
    return next((gram for n, gram in enumerate(grams) if gram in grams[:n]), None)


_SPEAKER_WORDS = _PRONOUNS | _vocabulary("our ours my your")


def speaker_word(text: str) -> str | None:
    """The first- or second-person word `text` uses ("we", "our", "you"), or None: a
    description of what several firms share that speaks as one of them repeats its call."""
    return next((word for word in _words(text) if word in _SPEAKER_WORDS), None)


# A word said twice in a row is a stutter ("from the underlying underlying core business");
# English doubles these two on purpose.
_STUTTER = re.compile(r"\b([a-z]{3,})(?:['\u2019]s)?\s+\1\b", re.IGNORECASE)
_DOUBLED_ON_PURPOSE = _vocabulary("had that")
# Words a name may not end on and, narrower, a sentence: "... than they would be." is whole.
_SENTENCE_DANGLING_ENDS = _vocabulary("and or but of the a an to for with from our their its")


def _ends_mid_phrase(sentence: str) -> bool:
    """The sentence's full stop follows a word no sentence ends on: "... important for the
    company's." is the grammar's cut, or the model's, with a full stop after it."""
    last = sentence.rstrip(" .!?\"')]").split()[-1:] or [""]
    word = last[0].lower()
    return word in _SENTENCE_DANGLING_ENDS or word.endswith(("'s", "\u2019s"))


def summary_problem(text: str, what: str = "summary") -> str | None:
    """Why a summary (or description: `what`) is not one a reader can use as written, or None:
    no whole sentence in it, it loops or stutters, or its last sentence ends mid-phrase
    (`clean_summary` trims the rest)."""
    cleaned = clean_summary(text)
    if cleaned is None:
        return f"the {what} has no whole sentence: {text[-60:]!r}"
    looping = looping_summary(cleaned)
    if looping:
        return f"the {what} loops on {looping!r}"
    stutters = (m for m in _STUTTER.finditer(cleaned) if m[1].lower() not in _DOUBLED_ON_PURPOSE)
    stutter = next(stutters, None)
    if stutter:
        return f"the {what} stutters: {stutter[0]!r}"
    if _ends_mid_phrase(cleaned):
        return f"the {what} ends mid-phrase: {cleaned[-40:]!r}"
    return None


def written_summary(text: str) -> str:
    """A summary as it is written once accepted (`summary_problem` found nothing):
    `clean_summary`'s whole sentences."""
    cleaned = clean_summary(text)
    if cleaned is None:
        raise ValueError(f"no whole sentence to write: {text!r}")
    return cleaned


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


def naming_problem(
    name: str, summary: str, sentences: Sequence[str], keywords: Sequence[str] = ()
) -> str | None:
    """The first reason a (name, summary) answer about `sentences` (and the item's `keywords`)
    is not acceptable; the summary as `clean_summary` writes it."""
    reason = fragment_reason(name)
    if reason:
        return reason
    if lone_name(name, keywords, sentences):
        return f"the name is a lone person, company or place name in no keyword: {name!r}"
    if copied_sentence(name, sentences):
        return f"the name copies a sentence word for word: {name!r}"
    problem = summary_problem(summary)
    if problem:
        return problem
    invented = ungrounded_facts(summary, sentences)
    if invented:
        return f"the summary states what the sentences do not: {', '.join(invented[:5])}"
    return said_beyond(name, written_summary(summary), sentences)


def said_beyond(name: str, summary: str, sources: Sequence[str]) -> str | None:
    """Why a name and summary say more than `sources` support (`ftm_shared.llm.support`): a
    word neither the sources nor common call language use, or a summary defining the name."""
    unsupported = unsupported_words(f"{name} {summary}", sources)
    if unsupported:
        return (
            "the answer uses words neither its sources nor common call language use: "
            + ", ".join(unsupported[:5])
        )
    if defines_name(name, summary):
        return f"the summary defines the name rather than saying what was reported: {summary!r}"
    if restates_name(name, summary):
        return f"the summary only says the name again: {summary!r}"
    return None
