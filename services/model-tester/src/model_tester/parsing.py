"""Turn a model's answer into entities, and say exactly what was wrong when it is malformed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from model_tester.base_model import END_OF_TURN
from model_tester.medical_data import Entity


@dataclass(frozen=True)
class ParsedAnswer:
    entities: tuple[Entity, ...]
    # The answer is a JSON list (whatever its items); the JSON-validity rate counts this.
    valid_json: bool
    problems: tuple[str, ...] = field(default=())


def _answer_part(raw: str) -> str:
    answer = raw.split(END_OF_TURN, 1)[0].strip()
    # A Markdown code fence around the list is still a JSON answer.
    if answer.startswith("```"):
        answer = answer.removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    return answer


def parse_answer(raw: str, labels: tuple[str, ...]) -> ParsedAnswer:
    """Entities with a known label and a non-empty text; every skipped item is a problem.

    The answer must open with the JSON list: a list found later (a base model echoing the
    prompt's "[] if none", say) is not an answer.
    """
    answer = _answer_part(raw)
    if not answer.startswith("["):
        return ParsedAnswer((), False, (f"the answer is not a JSON list: {answer[:80]!r}",))
    try:
        payload, end = json.JSONDecoder().raw_decode(answer)
    except json.JSONDecodeError as error:
        return ParsedAnswer((), False, (f"malformed JSON: {error.msg} (character {error.pos})",))
    problems = []
    if answer[end:].strip():
        problems.append("text after the JSON list was ignored")
    known = {label.lower(): label for label in labels}
    entities = []
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            problems.append(f"item {index} is not an object")
            continue
        label, text = item.get("label"), item.get("text")
        if not isinstance(label, str) or label.strip().lower() not in known:
            problems.append(f"item {index} has an unknown label {label!r}")
        elif not isinstance(text, str) or not text.strip():
            problems.append(f"item {index} has no text")
        else:
            entities.append(Entity(known[label.strip().lower()], text.strip()))
    return ParsedAnswer(tuple(entities), True, tuple(problems))
