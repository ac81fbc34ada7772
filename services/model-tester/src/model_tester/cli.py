"""`model-tester` (also `python -m model_tester`, the container's entrypoint)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from ftm_shared import layout
from ftm_shared.cli_support import run_cli, service_group
from ftm_shared.config import load_settings, state_dir
from ftm_shared.logs import configure_logging
from ftm_shared.storage import ObjectStore
from model_tester.adapter_loading import AdapterMismatchError
from model_tester.adapters import UnknownTimestampError, list_adapters
from model_tester.base_model import BaseModelError
from model_tester.config import ModelTesterSettings
from model_tester.remote import RemoteError
from model_tester.remote_cli import remote_group


@service_group(
    "model-tester",
    "Test a LoRA adapter from S3 on medical extraction: test, evaluate, benchmark, export.",
    ModelTesterSettings,
)
def group() -> None:
    pass


group.add_command(remote_group)


def _settings(use_ssm: bool = False) -> tuple[ModelTesterSettings, ObjectStore]:
    overrides: dict[str, Any] = {"ftm_use_ssm": True} if use_ssm else {}
    settings = load_settings(ModelTesterSettings, **overrides)
    configure_logging(settings.ftm_log_format)
    return settings, ObjectStore.from_settings(settings)


timestamp_option = click.option(
    "--timestamp", help="The adapter under models/{S3_PREFIX}/; default: the newest."
)
ssm_option = click.option(
    "--use-ssm", is_flag=True, help="Read settings from SSM Parameter Store (FTM_USE_SSM)."
)


def default_output() -> Path:
    # Beside the local env file: ignored by git, removed by `nox -s clean`.
    return state_dir() / "evaluations"


output_option = click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Local folder for results.json and predictions.parquet; default: .ftm/evaluations/.",
)
task_option = click.option(
    "--task",
    type=click.Choice(["glaucoma", "bc5cdr", "ncbi"]),
    help="Label set and data; default: the adapter's own task.",
)


@group.command("models")
def models_command() -> None:
    """List the adapters under models/{S3_PREFIX}/ in the bucket, newest first."""
    settings, store = _settings()
    versions = list_adapters(store, settings.s3_prefix)
    if not versions:
        click.echo(f"no adapters under s3://{settings.s3_bucket}/models/{settings.s3_prefix}/")
        return
    for version in versions:
        click.echo(f"{version.timestamp}  {len(version.files)} file(s): {', '.join(version.files)}")


@group.command("test")
@click.option("--timestamp", required=True, help="The adapter under models/{S3_PREFIX}/.")
@click.option("--sample-index", type=click.IntRange(0, 2), help="A built-in held-back sample.")
@click.option("--input", "text", help="Custom text to extract from.")
@task_option
@ssm_option
def test_command(
    timestamp: str, sample_index: int | None, text: str | None, task: str | None, use_ssm: bool
) -> None:
    """Extract entities from one text with base model + adapter, and print them."""
    from model_tester.inference import extract_one, render_extraction
    from model_tester.medical_data import TASKS, builtin_samples

    if (sample_index is None) == (text is None):
        raise click.UsageError("give exactly one of --sample-index and --input")
    settings, store = _settings(use_ssm)
    chosen, gold = (TASKS[task] if task else None), None
    if sample_index is not None:
        sample_task, sample = builtin_samples()[sample_index]
        text, gold, chosen = sample.text, sample.entities, chosen or sample_task
    result = extract_one(settings, store, timestamp, str(text), chosen)
    click.echo(render_extraction(result, gold))


@group.command("evaluate")
@timestamp_option
@task_option
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N held-back examples.")
@output_option
@ssm_option
def evaluate_command(
    timestamp: str | None, task: str | None, limit: int | None, output: Path | None, use_ssm: bool
) -> None:
    """Score base model vs base + adapter on held-back annotated examples."""
    from model_tester.adapters import find_adapter
    from model_tester.evaluate import comparison_table
    from model_tester.workflows import adapter_task, base_and_adapter, evaluate_adapter

    settings, store = _settings(use_ssm)
    version = find_adapter(store, settings.s3_prefix, timestamp)
    with base_and_adapter(settings, store, version.timestamp) as tested:
        chosen = adapter_task(tested.check, task)
        folder = (output or default_output()) / version.timestamp
        evaluation = evaluate_adapter(settings, store, tested, chosen, limit, folder)
    click.echo(
        f"{chosen.name}: {len(evaluation.examples)} held-back examples, adapter {version.timestamp}"
    )
    click.echo(comparison_table(evaluation.runs, chosen.label_set))
    click.echo(f"results: {evaluation.local_dir}  and  {evaluation.remote_uri}")


@group.command("benchmark")
@timestamp_option
@click.option("--max-batch", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--examples", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--new-tokens", type=click.IntRange(min=1), default=32, show_default=True)
@ssm_option
def benchmark_command(
    timestamp: str | None, max_batch: int, examples: int, new_tokens: int, use_ssm: bool
) -> None:
    """Tokens/s and latency p50/p95 for batch sizes 1, 2, 4 … --max-batch (fixed-length)."""
    from model_tester.adapters import find_adapter
    from model_tester.benchmark import benchmark, render
    from model_tester.medical_data import GLAUCOMA, load_examples
    from model_tester.prompts import build_prompt
    from model_tester.workflows import base_and_adapter

    settings, store = _settings(use_ssm)
    version = find_adapter(store, settings.s3_prefix, timestamp)
    sizes = sorted(
        {1, max_batch, *(2**i for i in range(max_batch.bit_length()) if 2**i <= max_batch)}
    )
    prompts = [build_prompt(GLAUCOMA, e.text) for e in load_examples(GLAUCOMA, "test", examples)]
    with base_and_adapter(settings, store, version.timestamp) as tested:
        results = benchmark(tested.loaded, tested.model, prompts, sizes, new_tokens)
    click.echo(
        f"adapter {version.timestamp} on {tested.loaded.device}, {len(prompts)} prompts, "
        f"{new_tokens} new tokens each"
    )
    click.echo(render(results))


@group.command("export")
@timestamp_option
@click.option("--output", type=click.Path(path_type=Path), required=True, help="Folder to write.")
@ssm_option
def export_command(timestamp: str | None, output: Path, use_ssm: bool) -> None:
    """Merge the adapter into the base model and save it as safetensors for serving."""
    from model_tester.adapters import find_adapter
    from model_tester.export import export_merged
    from model_tester.workflows import base_and_adapter

    settings, store = _settings(use_ssm)
    version = find_adapter(store, settings.s3_prefix, timestamp)
    with base_and_adapter(settings, store, version.timestamp) as tested:
        seconds = export_merged(tested.model, tested.loaded.tokenizer, output)
    size = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    click.echo(
        f"merged {settings.base_model} + adapter {version.timestamp} -> {output} "
        f"({size / 1e6:.0f} MB, {seconds:.1f}s)"
    )


@group.command("train-demo")
@click.option("--steps", type=click.IntRange(min=1), default=55, show_default=True)
@click.option("--upload/--no-upload", default=True, show_default=True)
def train_demo_command(steps: int, upload: bool) -> None:
    """Fine-tune the demo LoRA adapter on the glaucoma train split (cached by recipe + data)."""
    from model_tester.adapters import new_timestamp, upload_adapter
    from model_tester.medical_data import GLAUCOMA, load_examples
    from model_tester.train import Recipe, train_cached
    from model_tester.workflows import load

    settings, store = _settings()
    loaded = load(settings)
    result = train_cached(
        loaded,
        GLAUCOMA,
        load_examples(GLAUCOMA, "train"),
        Recipe(steps=steps),
        settings.ftm_cache_dir,
    )
    how = "cached" if result.cached else f"trained in {result.seconds:.0f}s"
    click.echo(
        f"adapter {how}: {result.folder} (loss {result.losses[0]:.3f} -> "
        f"{result.losses[-1]:.3f}, {result.examples_used} examples)"
    )
    if upload:
        timestamp = new_timestamp()
        upload_adapter(store, settings.s3_prefix, timestamp, result.folder)
        click.echo(f"uploaded: {store.uri(layout.model_prefix_for(settings.s3_prefix, timestamp))}")


@group.command("demo")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Held-back glaucoma segments to score.",
)
@output_option
def demo_command(limit: int, output: Path | None) -> None:
    """The smoke run's step: make sure the bucket has an adapter, then base vs adapter."""
    from model_tester.demo import render_demo, run_demo

    settings, store = _settings()
    started = time.perf_counter()
    report = run_demo(settings, store, limit, output or default_output())
    click.echo(render_demo(report, time.perf_counter() - started))


def main() -> None:
    run_cli(
        group,
        (UnknownTimestampError, AdapterMismatchError, BaseModelError, RemoteError, ValueError),
    )
