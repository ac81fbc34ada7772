"""Call procedure: the sentences of a call that run the call rather than discuss the business.

Operator instructions, greetings and thanks, safe-harbour and forward-looking-statement
disclaimers, Q&A hand-offs, webcast and replay logistics. Left in, they cluster into topics of
their own in nearly every firm ("Thank you for joining us", "turn the call over") and then into
cross-firm themes named "Operator". They are set aside before topics are fitted, with a reason
each, and kept in the output (the firm's topic -1 row), so nothing is lost silently.

Three signals, in order:

1. **speaker role**, where the source has one: every sentence of the Operator (Earnings-21
   names the speaker; MAEC's speakers are anonymous);
2. **wording**: patterns of each kind of procedure (`ftm_shared.procedure`, shared with the
   quality measures), written narrowly;
3. **meaning**: the sentence's embedding (already computed for the topics) is at least
   `PROCEDURE_SIMILARITY` cosine-similar to one of `PROTOTYPES`, short procedural sentences of
   every kind written for this purpose, unless it states a figure (an amount, a percentage).
   This catches the many ways of saying the same thing ("Have a great evening", "Operator,
   that's all I have for now") that no pattern list keeps up with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ftm_shared.procedure import FIGURE, OPERATOR, SIMILAR, is_operator, wording_reason

# One line per kind of procedure, each in a few wordings; written for this list, not copied
# from the data. Their embeddings are compared with every sentence's (see the module doc).
PROTOTYPES = (
    "Thank you, and good morning, everyone.",
    "Thanks for joining us on the call today.",
    "Thank you for your questions and for your continued interest in our company.",
    "Good afternoon and welcome to our fourth quarter earnings call.",
    "Have a great day, everyone.",
    "We look forward to speaking with you again next quarter.",
    "That's a good question, thanks for asking.",
    "I'll let our CFO take that one.",
    "Let me just add one thing to that.",
    "Ladies and gentlemen, thank you for standing by, and welcome to the conference call.",
    "At this time all participants are in a listen-only mode.",
    "To ask a question, please press star then one on your telephone keypad.",
    "Our next question comes from the line of an analyst at a bank.",
    "Your line is open, please go ahead.",
    "This concludes today's conference; you may now disconnect.",
    "I would now like to turn the conference over to your host.",
    "I will now turn the call over to our Chief Financial Officer.",
    "With that, I'll hand it back to the operator for questions.",
    "Operator, we are ready to open the line for questions.",
    "Let me turn it back to him for closing remarks.",
    "Joining me on the call today are our Chief Executive Officer and our Chief Financial Officer.",
    "Before we begin, I'd like to remind you that today's remarks contain forward-looking "
    "statements.",
    "Actual results may differ materially from those expressed in these statements due to risks "
    "and uncertainties.",
    "Please refer to our filings with the SEC, including our annual report on Form 10-K.",
    "We undertake no obligation to update any forward-looking statement.",
    "We will also discuss non-GAAP financial measures; reconciliations to GAAP are in our press "
    "release.",
    "This call is being recorded and webcast live on our website.",
    "A replay of this call will be available on the investor relations section of our website.",
    "The slides accompanying this presentation are posted on our website.",
    "Our earnings press release was issued after the market closed yesterday.",
    "I'll begin with an overview of the quarter, and then our CFO will review the financial "
    "results.",
    "We will begin with a review of our results, and afterwards we'll be happy to take your "
    "questions.",
    "We have a lot to cover on our call this morning.",
    "With me today are our Chairman and CEO and our Chief Financial Officer.",
)


@dataclass(frozen=True)
class Procedure:
    """Which of a firm's sentences are call procedure, and why (None: content)."""

    reasons: list[str | None]

    @property
    def mask(self) -> np.ndarray:
        return np.array([reason is not None for reason in self.reasons], dtype=bool)

    @property
    def count(self) -> int:
        return sum(reason is not None for reason in self.reasons)

    def by_reason(self) -> Counter[str]:
        return Counter(reason for reason in self.reasons if reason is not None)


def find_procedure(
    texts: Sequence[str],
    speakers: Sequence[str | None],
    vectors: np.ndarray,
    prototypes: np.ndarray,
    min_similarity: float,
) -> Procedure:
    """Each sentence's reason for being call procedure (see the module doc), or None.

    `vectors`: unit embeddings of `texts`; `prototypes`: unit embeddings of `PROTOTYPES`.
    """
    similar = np.zeros(len(texts), dtype=bool)
    if len(texts) and len(prototypes):
        similar = (vectors @ prototypes.T).max(axis=1) >= min_similarity
    reasons: list[str | None] = []
    for text, speaker, close in zip(texts, speakers, similar, strict=True):
        if is_operator(speaker):
            reasons.append(OPERATOR)
            continue
        reason = wording_reason(text)
        if reason is None and close and not FIGURE.search(text):
            reason = SIMILAR
        reasons.append(reason)
    return Procedure(reasons)
