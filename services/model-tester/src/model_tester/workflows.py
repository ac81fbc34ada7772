"""The commands' work, end to end: fetch the adapter, load the models, run, write results."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftm_shared import layout
from ftm_shared.errors import InputError
from ftm_shared.storage import ObjectStore
from model_tester.adapter_loading import AdapterCheck, attach_adapter
from model_tester.adapters import (
    AdapterVersion,
    downloaded_adapter,
    find_adapter,
    list_adapters,
    new_timestamp,
    upload_adapter,
)
from model_tester.base_model import LoadedModel, load_base_model
from model_tester.config import ModelTesterSettings
from model_tester.evaluate import (
    ModelRun,
    predictions_table,
    results_payload,
    run_model,
    write_results,
)
from model_tester.medical_data import GLAUCOMA, TASKS, Example, Task, load_examples
from model_tester.train import Recipe, TrainResult, train_cached

log = logging.getLogger(__name__)


@dataclass
class Tested:
    loaded: LoadedModel
    # Base + adapter; `with model.disable_adapter():` runs the base model alone.
    model: Any
    check: AdapterCheck
    version: AdapterVersion


def load(settings: ModelTesterSettings) -> LoadedModel:
    return load_base_model(settings.base_model, settings.ftm_cache_dir, settings.model_device)


@contextlib.contextmanager
def base_and_adapter(
    settings: ModelTesterSettings,
    store: ObjectStore,
    timestamp: str,
    loaded: LoadedModel | None = None,
) -> Iterator[Tested]:
    """Download the adapter at `timestamp`, attach it to the base model; files go on exit."""
    with downloaded_adapter(store, settings.s3_prefix, timestamp) as (version, folder):
        loaded = loaded or load(settings)
        model, check = attach_adapter(loaded.model, folder)
        if check.is_noop:
            log.warning(
                "adapter %s leaves the model's output unchanged: every lora_B tensor is zero "
                "(an untrained adapter?)",
                version.timestamp,
            )
        yield Tested(loaded, model, check, version)


def adapter_task(check: AdapterCheck, requested: str | None) -> Task:
    """The task asked for, else the one the adapter was trained on, else glaucoma."""
    name = requested or check.metadata.get("task") or GLAUCOMA.name
    if name not in TASKS:
        raise InputError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]


@dataclass(frozen=True)
class Evaluation:
    timestamp: str
    task: Task
    examples: list[Example]
    runs: list[ModelRun]
    payload: dict[str, Any]
    local_dir: Path
    remote_uri: str


def evaluate_adapter(
    settings: ModelTesterSettings,
    store: ObjectStore,
    tested: Tested,
    task: Task,
    limit: int | None,
    output_dir: Path,
) -> Evaluation:
    """Base model, then base + adapter, on the task's held-back examples; results written."""
    examples = load_examples(task, "test", limit)
    if not examples:
        raise InputError(f"the {task.name} data has no held-back examples")
    options = {"batch_size": settings.batch_size, "max_new_tokens": settings.max_new_tokens}
    with tested.model.disable_adapter():
        base = run_model("base", tested.loaded, tested.model, task, examples, **options)
    adapter = run_model("adapter", tested.loaded, tested.model, task, examples, **options)
    runs = [base, adapter]
    payload = results_payload(
        task,
        runs,
        base_model=settings.base_model,
        adapter={
            "timestamp": tested.version.timestamp,
            "uri": store.uri(layout.model_prefix_for(settings.s3_prefix, tested.version.timestamp)),
            "rank": tested.check.rank,
            "target_modules": list(tested.check.target_modules),
            "update_norm": round(tested.check.update_norm, 6),
            "metadata": tested.check.metadata,
        },
        config={**options, "limit": limit, "split": "test", "device": tested.loaded.device},
    )
    local, remote = write_results(
        store,
        settings.s3_prefix,
        tested.version.timestamp,
        output_dir,
        payload,
        predictions_table(examples, runs),
    )
    return Evaluation(tested.version.timestamp, task, examples, runs, payload, local, remote)


def evaluate(
    settings: ModelTesterSettings,
    store: ObjectStore,
    timestamp: str | None,
    task_name: str | None,
    limit: int | None,
    output_root: Path,
) -> Evaluation:
    """`evaluate`: the adapter at `timestamp` (default: the newest) on its task, or the one
    named; results under `output_root/<timestamp>/` and in the bucket."""
    version = find_adapter(store, settings.s3_prefix, timestamp)
    with base_and_adapter(settings, store, version.timestamp) as tested:
        task = adapter_task(tested.check, task_name)
        return evaluate_adapter(
            settings, store, tested, task, limit, output_root / version.timestamp
        )


@dataclass(frozen=True)
class DemoAdapter:
    trained: TrainResult
    timestamp: str | None
    """Where it was uploaded, None when it was not."""


def train_demo_adapter(
    settings: ModelTesterSettings,
    store: ObjectStore,
    loaded: LoadedModel,
    recipe: Recipe,
    *,
    upload: bool = True,
) -> DemoAdapter:
    """Train (or take from the cache) the demo adapter on the glaucoma train split; upload it
    under a new timestamp unless told not to."""
    examples = load_examples(GLAUCOMA, "train")
    trained = train_cached(loaded, GLAUCOMA, examples, recipe, settings.ftm_cache_dir)
    if not upload:
        return DemoAdapter(trained, None)
    timestamp = new_timestamp()
    upload_adapter(store, settings.s3_prefix, timestamp, trained.folder)
    log.info("uploaded the demo adapter as models/%s/%s/", settings.s3_prefix, timestamp)
    return DemoAdapter(trained, timestamp)


def ensure_demo_adapter(
    settings: ModelTesterSettings, store: ObjectStore, loaded: LoadedModel, recipe: Recipe
) -> tuple[str, TrainResult | None]:
    """The newest adapter's timestamp; when the bucket has none, the demo one, uploaded."""
    versions = list_adapters(store, settings.s3_prefix)
    if versions:
        return versions[0].timestamp, None
    demo = train_demo_adapter(settings, store, loaded, recipe)
    assert demo.timestamp is not None
    return demo.timestamp, demo.trained
