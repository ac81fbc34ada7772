"""Score base model and base + adapter on the same held-back examples, and write the results."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from ftm_shared import layout
from ftm_shared.storage import ObjectStore
from model_tester.base_model import LoadedModel
from model_tester.extraction import Generation, generate
from model_tester.medical_data import Example, Task
from model_tester.metrics import OVERALL, exact_match, percentile, relaxed_match, score
from model_tester.parsing import ParsedAnswer, parse_answer
from model_tester.prompts import PROMPT_VERSION, build_prompt
from model_tester.provenance import git_commit, library_versions

log = logging.getLogger(__name__)
RESULTS_FILE = "results.json"
PREDICTIONS_FILE = "predictions.parquet"


@dataclass(frozen=True)
class ModelRun:
    """One model's answers on the examples, parsed, with their scores."""

    name: str
    generations: list[Generation]
    parsed: list[ParsedAnswer]
    metrics: dict[str, Any]


def run_model(
    name: str,
    loaded: LoadedModel,
    model: Any,
    task: Task,
    examples: Sequence[Example],
    *,
    batch_size: int,
    max_new_tokens: int,
) -> ModelRun:
    prompts = [build_prompt(task, example.text) for example in examples]
    generations = generate(
        loaded,
        prompts,
        model=model,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        progress_label=f"{name}: examples",
    )
    parsed = [parse_answer(g.answer, task.label_set) for g in generations]
    return ModelRun(name, generations, parsed, summarise(task, examples, generations, parsed))


def summarise(
    task: Task,
    examples: Sequence[Example],
    generations: Sequence[Generation],
    parsed: Sequence[ParsedAnswer],
) -> dict[str, Any]:
    pairs = [(p.entities, e.entities) for p, e in zip(parsed, examples, strict=True)]
    by_match = {
        kind: {label: c.as_dict() for label, c in score(pairs, task.label_set, match).items()}
        for kind, match in (("exact", exact_match), ("relaxed", relaxed_match))
    }
    per_example = [g.batch_seconds / g.batch_size for g in generations]
    tokens = sum(g.new_tokens for g in generations)
    # Each batch is counted once: its members share one wall time.
    wall = sum(g.batch_seconds / g.batch_size for g in generations)
    return {
        "n": len(examples),
        "json_valid": sum(p.valid_json for p in parsed),
        "json_validity_rate": round(sum(p.valid_json for p in parsed) / len(parsed), 4)
        if parsed
        else 0.0,
        "exact": by_match["exact"],
        "relaxed": by_match["relaxed"],
        "latency_s_per_example_p50": round(percentile(per_example, 50), 4),
        "latency_s_per_example_p95": round(percentile(per_example, 95), 4),
        "generated_tokens": tokens,
        "tokens_per_s": round(tokens / wall, 2) if wall else 0.0,
        "seconds": round(wall, 2),
    }


def overall_f1(run: ModelRun, kind: str = "exact") -> float:
    return float(run.metrics[kind][OVERALL]["f1"])


def predictions_table(examples: Sequence[Example], runs: Sequence[ModelRun]) -> pa.Table:
    rows = []
    for run in runs:
        for example, generation, parsed in zip(examples, run.generations, run.parsed, strict=True):
            rows.append(
                {
                    "model": run.name,
                    "example_id": example.example_id,
                    "text": example.text,
                    "gold": json.dumps([asdict(e) for e in example.entities]),
                    "answer": generation.answer,
                    "predicted": json.dumps([asdict(e) for e in parsed.entities]),
                    "valid_json": parsed.valid_json,
                    "problems": list(parsed.problems),
                    "new_tokens": generation.new_tokens,
                    "latency_s": generation.batch_seconds / generation.batch_size,
                }
            )
    return pa.Table.from_pylist(rows)


def results_payload(
    task: Task,
    runs: Sequence[ModelRun],
    *,
    base_model: str,
    adapter: dict[str, Any],
    config: dict[str, Any],
) -> dict[str, Any]:
    return {
        "task": task.name,
        "labels": list(task.label_set),
        "n": runs[0].metrics["n"] if runs else 0,
        "prompt_version": PROMPT_VERSION,
        "prompt_example": build_prompt(task, "<text>"),
        "config": config,
        "base_model": base_model,
        "adapter": adapter,
        "metrics": {run.name: run.metrics for run in runs},
        "libraries": library_versions(),
        "git_commit": git_commit(),
    }


def write_results(
    store: ObjectStore,
    prefix: str,
    timestamp: str,
    local_dir: Path,
    payload: dict[str, Any],
    predictions: pa.Table,
) -> tuple[Path, str]:
    """results.json and predictions.parquet in `local_dir` and under evaluations/…/timestamp/."""
    local = ObjectStore(str(local_dir))
    remote_root = layout.evaluation_prefix(prefix, timestamp)
    for target, root in ((local, ""), (store, remote_root)):
        target.write_json(root + RESULTS_FILE, payload)
        target.write_parquet(root + PREDICTIONS_FILE, predictions)
    return local_dir, store.uri(remote_root)


def comparison_table(runs: Sequence[ModelRun], labels: Sequence[str]) -> str:
    """A compact text table: F1 exact/relaxed per label and overall, JSON validity, speed."""
    names = [run.name for run in runs]
    width = max(12, *(len(label) for label in labels))
    lines = [f"{'':{width}}  " + "  ".join(f"{name:>17}" for name in names)]
    lines.append(f"{'F1':{width}}  " + "  ".join(f"{'exact / relaxed':>17}" for _ in names))
    for label in (*labels, OVERALL):
        cells = []
        for run in runs:
            exact, relaxed = run.metrics["exact"][label], run.metrics["relaxed"][label]
            cells.append(
                f"{exact['f1']:>8.3f} / {relaxed['f1']:.3f}" if exact["gold"] else f"{'-':>17}"
            )
        lines.append(f"{label:{width}}  " + "  ".join(f"{c:>17}" for c in cells))
    valid = [f"{r.metrics['json_valid']}/{r.metrics['n']}" for r in runs]
    lines.append(f"{'JSON valid':{width}}  " + "  ".join(f"{v:>17}" for v in valid))
    speed = [f"{r.metrics['latency_s_per_example_p50']:.2f}s/example" for r in runs]
    lines.append(f"{'latency p50':{width}}  " + "  ".join(f"{v:>17}" for v in speed))
    return "\n".join(lines)
