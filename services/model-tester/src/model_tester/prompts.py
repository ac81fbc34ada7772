"""The extraction prompt and the answer format the demo adapter is trained to produce.

Gemma's turn markers are used for every base model: for a base (not instruction-tuned) model
they are just a stable frame, and an adapter learns to answer inside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from model_tester.base_model import END_OF_TURN
from model_tester.medical_data import Entity, Task

PROMPT_VERSION = "ftm-extract-v2"


def build_prompt(task: Task, text: str) -> str:
    # Short on purpose: every prompt token is paid for in training and in each answer's prefill.
    return (
        "<start_of_turn>user\n"
        'Extract entities as a JSON list of {"label", "text"}, text copied exactly; [] if none.\n'
        f"Labels: {', '.join(task.label_set)}.\n"
        f"Text: {text}{END_OF_TURN}\n"
        "<start_of_turn>model\n"
    )


def render_answer(entities: Iterable[Entity]) -> str:
    """The target answer: compact JSON, in text order, closed by the end-of-turn marker."""
    payload = [{"label": e.label, "text": e.text} for e in entities]
    return json.dumps(payload, ensure_ascii=False) + END_OF_TURN
