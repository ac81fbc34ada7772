"""`test`: one text through base model + adapter, parsed and shown readably."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ftm_shared.errors import InputError
from ftm_shared.storage import ObjectStore
from model_tester.base_model import LoadedModel
from model_tester.config import ModelTesterSettings
from model_tester.extraction import generate
from model_tester.medical_data import TASKS, Entity, Task, builtin_samples
from model_tester.metrics import exact_match
from model_tester.parsing import ParsedAnswer, parse_answer
from model_tester.prompts import build_prompt
from model_tester.workflows import adapter_task, base_and_adapter


@dataclass(frozen=True)
class Extraction:
    text: str
    task: Task
    timestamp: str
    parsed: ParsedAnswer
    answer: str
    noop_adapter: bool
    load_seconds: float
    generate_seconds: float


def extract_one(
    settings: ModelTesterSettings,
    store: ObjectStore,
    timestamp: str,
    text: str,
    task: Task | None,
) -> Extraction:
    if not text.strip():
        raise InputError("the input text is empty: give the text to extract from")
    with base_and_adapter(settings, store, timestamp) as tested:
        chosen = task or adapter_task(tested.check, None)
        prompt = build_prompt(chosen, text)
        require_fit(tested.loaded, prompt, settings.max_new_tokens)
        started = time.perf_counter()
        [generation] = generate(
            tested.loaded,
            [prompt],
            model=tested.model,
            max_new_tokens=settings.max_new_tokens,
        )
        seconds = time.perf_counter() - started
        return Extraction(
            text=text,
            task=chosen,
            timestamp=tested.version.timestamp,
            parsed=parse_answer(generation.answer, chosen.label_set),
            answer=generation.answer,
            noop_adapter=tested.check.is_noop,
            load_seconds=tested.loaded.load_seconds,
            generate_seconds=seconds,
        )


def require_fit(loaded: LoadedModel, prompt: str, max_new_tokens: int) -> None:
    """Refuse a prompt that with its answer would pass the model's context, before generating:
    past it the model reads nothing sensible, and a long input ran for minutes at gigabytes."""
    context = int(getattr(loaded.model.config, "max_position_embeddings", 0) or 0)
    tokens = len(loaded.tokenizer(prompt).input_ids)
    if context and tokens + max_new_tokens > context:
        raise InputError(
            f"the input is too long for {loaded.name}: the prompt is {tokens:,} tokens and the "
            f"answer may take {max_new_tokens:,} (MAX_NEW_TOKENS), over its {context:,}-token "
            "context; give a shorter text"
        )


def extract_input(
    settings: ModelTesterSettings,
    store: ObjectStore,
    timestamp: str,
    sample_index: int | None,
    text: str | None,
    task_name: str | None,
) -> tuple[Extraction, tuple[Entity, ...] | None]:
    """`test`: a built-in held-back sample (with its annotation, on its task unless one is
    named) or the given text; the task defaults to the adapter's."""
    task = TASKS[task_name] if task_name else None
    gold = None
    if sample_index is not None:
        sample_task, sample = builtin_samples()[sample_index]
        text, gold, task = sample.text, sample.entities, task or sample_task
    return extract_one(settings, store, timestamp, str(text), task), gold


def render_extraction(result: Extraction, gold: Sequence[Entity] | None = None) -> str:
    lines = [
        f"adapter   {result.timestamp}   task {result.task.name} "
        f"(labels: {', '.join(result.task.label_set)})",
        f"text      {result.text}",
    ]
    if result.noop_adapter:
        lines.append("warning   the adapter's update is all zero: output equals the base model's")
    if not result.parsed.valid_json:
        lines.append("answer    not a JSON list — the raw answer was:")
        lines.append(f"          {result.answer[:500]!r}")
    elif not result.parsed.entities:
        lines.append("entities  none found")
    else:
        lines.append("entities")
        width = max(len(e.label) for e in result.parsed.entities)
        for entity in result.parsed.entities:
            mark = ""
            if gold is not None:
                hit = any(
                    g.label == entity.label and exact_match(entity.text, g.text) for g in gold
                )
                mark = "  ✓" if hit else "  ✗ (not in the annotation)"
            lines.append(f"  {entity.label:<{width}}  {entity.text}{mark}")
    for problem in result.parsed.problems:
        lines.append(f"note      {problem}")
    if gold is not None:
        lines.append("annotated " + "; ".join(f"{g.label}: {g.text}" for g in gold))
    lines.append(
        f"time      load {result.load_seconds:.1f}s, generate {result.generate_seconds:.1f}s"
    )
    return "\n".join(lines)
