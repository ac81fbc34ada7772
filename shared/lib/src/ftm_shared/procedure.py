"""Call procedure by its wording: the sentences of a call that run the call rather than discuss
the business (operator instructions, greetings and thanks, safe-harbour disclaimers, Q&A
hand-offs, webcast and replay logistics).

map-worker sets such sentences aside before it fits topics (adding the speaker's role and the
sentences' embeddings, `map_worker.procedure`); the quality measures use the wording alone to
check that no theme is made of them. The patterns are narrow on purpose: "we will discuss
non-GAAP measures" is procedure, "non-GAAP operating expense rose to $103 million" is not.
"""

from __future__ import annotations

import re

OPERATOR = "operator"
GREETING = "greeting or thanks"
SAFE_HARBOUR = "safe harbour"
HANDOFF = "Q&A hand-off"
LOGISTICS = "webcast or replay"
SIMILAR = "similar to call procedure"
KINDS = (OPERATOR, GREETING, SAFE_HARBOUR, HANDOFF, LOGISTICS, SIMILAR)

_OPERATOR_SPEAKER = re.compile(r"^\s*operator\s*$", re.IGNORECASE)
_PATTERNS = {
    SAFE_HARBOUR: re.compile(
        r"forward[- ]looking (statement|information)|safe harbou?r (statement|provision|language)"
        r"|actual (future )?results (could|may|might|will)? ?(differ|vary)|"
        r"undertakes? no (obligation|duty)|risks? and uncertaint|uncertainties and risks|"
        r"form 10-?[kq]\b|filings? with the (sec|securities)|sec filings|"
        r"non-gaap (financial )?(measures?|information)\b(?! (of|was|were|increased|decreased|"
        r"rose|fell|grew|declined))|reconciliations? (of|to|between) .{0,60}gaap",
        re.IGNORECASE,
    ),
    HANDOFF: re.compile(
        r"\b(turn|hand|pass)(ing)? (the call|it|things|the conference|the conversation|the "
        r"discussion|the floor|the time|the presentation|this|that)( back)? (over )?(to|back)\b|"
        r"\bnext question\b|\b(our|the) first question (comes|is from)|"
        r"question[- ]and[- ]answer (session|period|portion)|\bq&a (session|portion|period)\b|"
        r"\b(open|begin|start|move to|go to) (up )?(for |to |into )?(the )?q&a\b|"
        r"\b(happy|glad|pleased) to (take|answer|respond to) (any |your )?questions|"
        r"\bopen (it |the call |the line |the lines |the floor )?(up )?for (your )?questions|"
        r"\bpress (star|\*)|\bstar (then )?(one|1)\b|please go ahead|"
        r"your line is (now )?open|\b(this|that) concludes\b|you may (now )?disconnect|"
        r"\bin the queue\b|\bwithdraw your question|\bready for (your )?questions|"
        r"\bno further questions\b|\bone more question\b",
        re.IGNORECASE,
    ),
    LOGISTICS: re.compile(
        r"\bwebcast|\breplay (of|will|is)\b|\bbeing recorded\b|\blisten-only\b|"
        r"investor relations (section|page|website|site)|"
        r"(posted|available) on (our|the company's) (web ?site|investor)|"
        r"\bpress release (was |that was )?(issued|distributed|furnished)|"
        r"\bslides? (accompanying|that accompany)|\bjoining me (on the call |today )",
        re.IGNORECASE,
    ),
    GREETING: re.compile(
        r"^\W*((and|so|well|okay|ok|yes|yeah|again|once again|with that|all right)\W+)*"
        r"(thank(s| you)(?! to\b)|good (morning|afternoon|evening|day)|hello|hi\b|welcome\b|"
        r"have a (good|great|nice|wonderful|safe)|see you|we look forward to (speaking|talking|"
        r"seeing)|i look forward to (speaking|talking|seeing|our next))",
        re.IGNORECASE,
    ),
}
# A greeting that goes on longer than this is a sentence with content after the courtesy.
GREETING_MAX_WORDS = 25
FIGURE = re.compile(
    r"[$€£¥]\s?\d|\d(\.\d+)?\s?(%|percent\b|basis points?\b|bps\b|million\b|billion\b)",
    re.IGNORECASE,
)


def wording_reason(text: str) -> str | None:
    """The kind of call procedure `text` is worded as, or None for content."""
    for reason, pattern in _PATTERNS.items():
        if not pattern.search(text):
            continue
        if reason == GREETING and (len(text.split()) > GREETING_MAX_WORDS or FIGURE.search(text)):
            continue
        return reason
    return None


def is_operator(speaker: str | None) -> bool:
    """Whether the source names this speaker as the call's operator (Earnings-21 does)."""
    return bool(speaker) and bool(_OPERATOR_SPEAKER.match(str(speaker)))
