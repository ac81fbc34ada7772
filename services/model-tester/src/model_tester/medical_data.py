"""The annotated medical sets as extraction examples: text plus gold (label, text) entities.

Glaucoma medication segments are scored as they are. BC5CDR and NCBI abstracts are split into
sentences first, so one answer stays within a small model's reach; entity offsets move along.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from ftm_shared.data import data_file

Split = Literal["train", "test", "all"]


@dataclass(frozen=True)
class Entity:
    label: str
    text: str


@dataclass(frozen=True)
class Example:
    example_id: str
    text: str
    entities: tuple[Entity, ...]


@dataclass(frozen=True)
class Task:
    name: str
    file: str
    # Source label -> our label; source labels not listed are not part of the task.
    labels: dict[str, str]

    @property
    def label_set(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.labels.values()))


GLAUCOMA = Task(
    "glaucoma",
    "glaucoma_med_segments.parquet",
    {
        "DRUG": "drug",
        "STRENGTH": "strength",
        "DOSAGE": "dosage",
        "ROUTE": "route",
        "FREQUENCY": "frequency",
        "DURATION": "duration",
        "DRUG USE": "drug use",
        "DRUG STOP": "drug stop",
        "ADHERENCE": "adherence",
    },
)
BC5CDR = Task(
    "bc5cdr",
    "bc5cdr.parquet",
    {"Chemical": "chemical", "Disease": "disease"},
)
NCBI = Task(
    "ncbi",
    "ncbi_disease.parquet",
    {
        "SpecificDisease": "disease",
        "DiseaseClass": "disease",
        "Modifier": "disease",
        "CompositeMention": "disease",
    },
)
TASKS = {task.name: task for task in (GLAUCOMA, BC5CDR, NCBI)}

# Segments longer than this rarely fit the training length; they are left out everywhere.
MAX_SEGMENT_CHARS = 300
HOLDOUT_FRACTION = 0.2
SPLIT_SEED = 20261123
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


def medical_file(task: Task) -> Path:
    return data_file("medical", task.file)


def _gold(task: Task, spans: Iterable[dict[str, Any]]) -> tuple[Entity, ...] | None:
    """Entities of the task's labels; None when a span's label is unknown (masked `***`)."""
    found = []
    for span in spans:
        label = task.labels.get(span["label"])
        if label is None:
            return None
        found.append(Entity(label, span["text"]))
    return tuple(found)


def _is_holdout(group: str) -> bool:
    # A stable hash of the group, not Python's salted hash(), so every run splits alike.
    digest = hashlib.sha256(f"{SPLIT_SEED}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < HOLDOUT_FRACTION


def _glaucoma_examples(path: Path, split: Split) -> list[Example]:
    rows = pq.read_table(path, columns=["seg_id", "group_id", "text", "entities"]).to_pylist()
    examples = []
    for row in rows:
        # Unannotated segments are not known to be empty (notes are partly labelled).
        if not row["entities"] or len(row["text"]) > MAX_SEGMENT_CHARS:
            continue
        if split != "all" and _is_holdout(row["group_id"]) != (split == "test"):
            continue
        gold = _gold(GLAUCOMA, row["entities"])
        if gold is not None:
            examples.append(Example(row["seg_id"], row["text"], gold))
    return examples


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    return bounds


def _abstract_examples(task: Task, path: Path, split: Split) -> list[Example]:
    rows = pq.read_table(path, columns=["doc_id", "split", "text", "entities"]).to_pylist()
    # The official splits: train to learn from, test (held back) to score.
    wanted = {"train": {"train", "dev"}, "test": {"test"}, "all": {"train", "dev", "test"}}[split]
    examples = []
    for row in rows:
        if row["split"] not in wanted:
            continue
        for number, (start, end) in enumerate(_sentences(row["text"])):
            inside = [s for s in row["entities"] if s["start"] < end and s["end"] > start]
            # A mention across a sentence break means the split was wrong there: skip it.
            if any(s["start"] < start or s["end"] > end for s in inside):
                continue
            gold = _gold(task, inside)
            if gold and end - start <= MAX_SEGMENT_CHARS:
                examples.append(Example(f"{row['doc_id']}:{number}", row["text"][start:end], gold))
    return examples


def load_examples(task: Task, split: Split, limit: int | None = None) -> list[Example]:
    """Examples of `split` in file order (a stable sample: the first `limit`)."""
    path = medical_file(task)
    if task is GLAUCOMA:
        examples = _glaucoma_examples(path, split)
    else:
        examples = _abstract_examples(task, path, split)
    return examples[:limit] if limit else examples


def builtin_samples() -> list[tuple[Task, Example]]:
    """Three held-back examples for `test --sample-index`, one per task."""
    return [(task, load_examples(task, "test")[0]) for task in (GLAUCOMA, BC5CDR, NCBI)]
