"""Does an answer say only what its sources and ordinary call language support?

A small model fills a summary with its own priors: "in the midst of a pandemic" in a 2017 call,
"renewable energy and sustainability" over keywords growth, market, investments, portfolio, a
misspelt "Doublingigit". Such a word is in none of the texts the model was shown, and it is not
a word earnings calls commonly use, so nothing the reader can check stands behind it. An answer
may paraphrase ("describe", "drivers", "impact" are said in most calls); it may not bring in a
subject of its own.

- **Sources**: what the model was shown (a topic's sentences and keywords; a theme's topic names,
  summaries and keywords), compared by Snowball stem (`ftm_shared.text.stems`), so "carried"
  matches "carry".
- **Common call language**: `call_words.txt`, the stems that at least `CALL_WORD_SHARE` of MAEC's
  2015-2016 calls use (1,986 calls; built by `ftm data vocabulary`). Those years are neither the
  smoke run's nor the quality benchmark's quarters.

A summary that only says its name again tells the reader nothing (`restates_name`); one that
restates its name as a definition ("Net income is the net income of the
company", "Tax rate is a measure of ...") says what the words mean, not what the firms said:
`defines_name` finds it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

from ftm_shared.text import stems

CALL_WORDS_FILE = Path(__file__).with_name("call_words.txt")
CALL_WORD_SHARE = 0.02
# Stems this short are function words, units or word pieces, never a subject.
MIN_STEM_CHARS = 3


@functools.cache
def call_words() -> frozenset[str]:
    """The stems of common call language (`CALL_WORDS_FILE`, comment lines skipped)."""
    lines = CALL_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def unsupported_words(text: str, sources: Iterable[str]) -> list[str]:
    """The words of `text` (as its own spelling, first use) whose stems none of `sources`
    and no common call language use."""
    known = call_words() | {stem for source in sources for stem in stems(source)}
    found: dict[str, str] = {}
    for word in re.findall(r"[a-z]+", re.sub(r"['\u2019]s\b", "", text.lower())):
        stem = stems(word)[0]
        if len(stem) >= MIN_STEM_CHARS and stem not in known:
            found.setdefault(stem, word)
    return list(found.values())


def restates_name(name: str, summary: str) -> bool:
    """`summary` says no word its name does not ("The end of this quarter's quarter." under
    "The end of this quarter's quarter"): it tells the reader nothing more."""
    return set(stems(summary)) <= set(stems(name))


_DEFINING = re.compile(r"\s+(?:(?:is|are)\s+(?:a|an|the)|refers? to|means)\b")


def defines_name(name: str, summary: str) -> bool:
    """`summary` opens by defining `name` ("Net income is the net income ...", "Tax rate is a
    measure of ...", "Image manager refers to ...") rather than saying what was reported."""
    opening = re.escape(name.strip().lower())
    return re.match(opening + _DEFINING.pattern, summary.strip().lower()) is not None
