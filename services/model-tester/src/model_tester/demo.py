"""`demo`, the smoke run's model step: an adapter in the bucket (the demo one if there is
none), then base vs adapter on held-back glaucoma segments, as one compact table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ftm_shared.storage import ObjectStore
from model_tester.config import ModelTesterSettings
from model_tester.evaluate import comparison_table, overall_f1
from model_tester.medical_data import GLAUCOMA, medical_file
from model_tester.train import Recipe, TrainResult
from model_tester.workflows import (
    Evaluation,
    base_and_adapter,
    ensure_demo_adapter,
    evaluate_adapter,
    load,
)


@dataclass(frozen=True)
class DemoReport:
    timestamp: str
    trained: TrainResult | None
    evaluation: Evaluation
    load_seconds: float


def run_demo(
    settings: ModelTesterSettings, store: ObjectStore, limit: int, output: Path
) -> DemoReport:
    medical_file(GLAUCOMA)  # a missing data folder fails before the slow model load
    loaded = load(settings)
    timestamp, trained = ensure_demo_adapter(settings, store, loaded, Recipe())
    with base_and_adapter(settings, store, timestamp, loaded) as tested:
        evaluation = evaluate_adapter(settings, store, tested, GLAUCOMA, limit, output / timestamp)
    return DemoReport(timestamp, trained, evaluation, loaded.load_seconds)


def render_demo(report: DemoReport, seconds: float) -> str:
    base, adapter = report.evaluation.runs
    if report.trained is None:
        source = "found in the bucket"
    elif report.trained.cached:
        source = f"uploaded from the cache {report.trained.folder}"
    else:
        source = (
            f"trained in {report.trained.seconds:.0f}s (loss {report.trained.losses[0]:.2f} -> "
            f"{report.trained.losses[-1]:.2f}) and uploaded"
        )
    lines = [
        f"model-tester demo: adapter {report.timestamp} ({source})",
        f"glaucoma held-back segments: {len(report.evaluation.examples)}",
        comparison_table(report.evaluation.runs, GLAUCOMA.label_set),
        f"summary: F1 base {overall_f1(base):.3f} -> adapter {overall_f1(adapter):.3f} (exact), "
        f"JSON valid base {base.metrics['json_valid']}/{base.metrics['n']} -> adapter "
        f"{adapter.metrics['json_valid']}/{adapter.metrics['n']}",
        f"results: {report.evaluation.local_dir} and {report.evaluation.remote_uri}",
        f"time: {seconds:.0f}s (base model load {report.load_seconds:.1f}s)",
    ]
    return "\n".join(lines)
