from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from model_tester.medical_data import (
    BC5CDR,
    GLAUCOMA,
    NCBI,
    builtin_samples,
    load_examples,
)

pytestmark = pytest.mark.unit


def test_glaucoma_split_keeps_groups_apart(data_dir: Path) -> None:
    train, test = load_examples(GLAUCOMA, "train"), load_examples(GLAUCOMA, "test")
    rows = pq.read_table(data_dir / "medical" / GLAUCOMA.file).to_pylist()
    group_of = {row["seg_id"]: row["group_id"] for row in rows}
    train_groups = {group_of[e.example_id] for e in train}
    test_groups = {group_of[e.example_id] for e in test}
    assert train_groups.isdisjoint(test_groups)
    # About a fifth held back, and the split is the same on every call.
    assert 0.1 < len(test) / (len(train) + len(test)) < 0.3
    assert [e.example_id for e in load_examples(GLAUCOMA, "test")] == [e.example_id for e in test]


def test_glaucoma_examples_use_the_task_labels_only(data_dir: Path) -> None:
    examples = load_examples(GLAUCOMA, "all")
    labels = {entity.label for example in examples for entity in example.entities}
    assert labels <= set(GLAUCOMA.label_set)
    assert {"drug", "route", "frequency"} <= labels
    # Masked labels (***) make the gold incomplete: such segments are left out.
    assert all(example.entities for example in examples)


@pytest.mark.parametrize("task", [BC5CDR, NCBI])
def test_abstract_sentences_keep_their_entities(data_dir: Path, task: object) -> None:
    examples = load_examples(task, "test", limit=50)  # type: ignore[arg-type]
    assert len(examples) == 50
    for example in examples:
        for entity in example.entities:
            assert entity.text in example.text, (example.example_id, entity)
    train_docs = {e.example_id.split(":")[0] for e in load_examples(task, "train")}  # type: ignore[arg-type]
    assert train_docs.isdisjoint({e.example_id.split(":")[0] for e in examples})


def test_builtin_samples_one_per_task(data_dir: Path) -> None:
    samples = builtin_samples()
    assert [task for task, _ in samples] == [GLAUCOMA, BC5CDR, NCBI]
    assert {e.label for e in samples[1][1].entities} <= {"chemical", "disease"}
    assert {e.label for e in samples[2][1].entities} == {"disease"}
