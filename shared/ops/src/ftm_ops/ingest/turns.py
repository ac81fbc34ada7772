"""Paragraphs and speaker turns of one plain-text transcript.

The rule (docs/pipeline.md's too):
- a paragraph is a run of non-blank lines, joined with single spaces; blank lines end it;
- a line on its own that ends in a colon marks a speaker turn when it is `Name -- Role:`
  (or `Name — Role:`) or up to five capitalised words or numbers (`Operator:`,
  `Jane Doe:`, `SPEAKER 2:`); the speaker is the name before the role; the line is not text;
- the speaker holds for the paragraphs that follow until the next such line; text before the
  first is nobody's (speaker missing).
A line such as `Here are the highlights:` is text: its words are not all capitalised.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_WITH_ROLE = re.compile(r"^(?P<name>[^:]{1,80}?)\s+(?:--|—)\s+[^:]{1,80}:$")
_LABEL_WORD = r"(?:[A-Z][\w.'’&-]*|\d+)"
_LABEL = re.compile(rf"^(?P<name>{_LABEL_WORD}(?: {_LABEL_WORD}){{0,4}}):$")


class Paragraph(NamedTuple):
    speaker: str | None
    text: str


def speaker_of(line: str) -> str | None:
    """The speaker a line names, or None when it is text."""
    found = _WITH_ROLE.match(line) or _LABEL.match(line)
    return found["name"].strip() if found else None


def split_paragraphs(text: str) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    speaker: str | None = None
    lines: list[str] = []

    def close() -> None:
        if lines:
            paragraphs.append(Paragraph(speaker, " ".join(lines)))
            lines.clear()

    for raw in text.splitlines():
        line = raw.strip()
        named = speaker_of(line) if line else None
        if not line or named:
            close()
            speaker = named or speaker
        else:
            lines.append(line)
    close()
    return paragraphs
