"""`model-tester` (also `python -m model_tester`, the container's entrypoint): options in,
text out; the work is in the modules (workflows, inference, benchmark, export, demo, remote)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

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


@service_group(
    "model-tester",
    "Test a LoRA adapter from S3 on medical extraction: test, evaluate, benchmark, export.",
    ModelTesterSettings,
)
def group() -> None:
    pass


def _settings(use_ssm: bool = False) -> tuple[ModelTesterSettings, ObjectStore]:
    overrides: dict[str, Any] = {"ftm_use_ssm": True} if use_ssm else {}
    settings = load_settings(ModelTesterSettings, **overrides)
    configure_logging(settings.ftm_log_format)
    return settings, ObjectStore.from_settings(settings)


def default_output() -> Path:
    # Beside the local env file: ignored by git, removed by `nox -s clean`.
    return state_dir() / "evaluations"


def _one_input(sample_index: int | None, text: str | None, text_file: TextIO | None) -> str | None:
    """The text to extract from (None for a built-in sample), refused before any model loads
    when it is missing twice or blank."""
    given = [sample_index is not None, text is not None, text_file is not None]
    if sum(given) != 1:
        raise click.UsageError("give exactly one of --sample-index, --input and --input-file")
    if text_file is not None:
        text = text_file.read()
    if text is not None and not text.strip():
        raise click.UsageError("the input text is empty: give the text to extract from")
    return text


timestamp_option = click.option(
    "--timestamp", help="The adapter under models/{S3_PREFIX}/; default: the newest."
)
ssm_option = click.option(
    "--use-ssm", is_flag=True, help="Read settings from SSM Parameter Store (FTM_USE_SSM)."
)
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
sample_option = click.option(
    "--sample-index", type=click.IntRange(0, 2), help="A built-in held-back sample."
)


def input_option(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--input-file",
        "text_file",
        type=click.File("r", encoding="utf-8"),
        help="Read the text from a file ('-' for standard input).",
    )(command)
    return click.option("--input", "text", help="Custom text to extract from.")(command)


start_option = click.option(
    "--start", is_flag=True, help="Start the instance (and wait) if it is stopped."
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
@sample_option
@input_option
@task_option
@ssm_option
def test_command(
    timestamp: str,
    sample_index: int | None,
    text: str | None,
    text_file: TextIO | None,
    task: str | None,
    use_ssm: bool,
) -> None:
    """Extract entities from one text with base model + adapter, and print them."""
    from model_tester.inference import extract_input, render_extraction

    text = _one_input(sample_index, text, text_file)
    settings, store = _settings(use_ssm)
    result, gold = extract_input(settings, store, timestamp, sample_index, text, task)
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
    from model_tester.evaluate import comparison_table
    from model_tester.workflows import evaluate

    settings, store = _settings(use_ssm)
    evaluation = evaluate(settings, store, timestamp, task, limit, output or default_output())
    click.echo(
        f"{evaluation.task.name}: {len(evaluation.examples)} held-back examples, "
        f"adapter {evaluation.timestamp}"
    )
    click.echo(comparison_table(evaluation.runs, evaluation.task.label_set))
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
    from model_tester.benchmark import benchmark_adapter, render

    settings, store = _settings(use_ssm)
    click.echo(
        render(benchmark_adapter(settings, store, timestamp, max_batch, examples, new_tokens))
    )


@group.command("export")
@timestamp_option
@click.option("--output", type=click.Path(path_type=Path), required=True, help="Folder to write.")
@ssm_option
def export_command(timestamp: str | None, output: Path, use_ssm: bool) -> None:
    """Merge the adapter into the base model and save it as safetensors for serving."""
    from model_tester.export import export_adapter

    settings, store = _settings(use_ssm)
    done = export_adapter(settings, store, timestamp, output)
    click.echo(
        f"merged {done.base_model} + adapter {done.timestamp} -> {done.output} "
        f"({done.size_bytes / 1e6:.0f} MB, {done.seconds:.1f}s)"
    )


@group.command("train-demo")
@click.option("--steps", type=click.IntRange(min=1), default=55, show_default=True)
@click.option("--upload/--no-upload", default=True, show_default=True)
def train_demo_command(steps: int, upload: bool) -> None:
    """Fine-tune the demo LoRA adapter on the glaucoma train split (cached by recipe + data)."""
    from model_tester.train import Recipe
    from model_tester.workflows import load, train_demo_adapter

    settings, store = _settings()
    demo = train_demo_adapter(settings, store, load(settings), Recipe(steps=steps), upload=upload)
    result = demo.trained
    how = "cached" if result.cached else f"trained in {result.seconds:.0f}s"
    click.echo(
        f"adapter {how}: {result.folder} (loss {result.losses[0]:.3f} -> "
        f"{result.losses[-1]:.3f}, {result.examples_used} examples)"
    )
    if demo.timestamp:
        uploaded = layout.model_prefix_for(settings.s3_prefix, demo.timestamp)
        click.echo(f"uploaded: {store.uri(uploaded)}")


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


@group.group("remote")
def remote_group() -> None:
    """Run the tester on the GPU box through SSM (REMOTE_INSTANCE_ID/TAG, REMOTE_IMAGE)."""


def _remote_settings() -> tuple[ModelTesterSettings, ObjectStore]:
    from model_tester.remote import remote_image

    settings, store = _settings()
    remote_image(settings)  # every remote command needs it: say so before anything else
    return settings, store


def _run_on_box(command: str, comment: str, start: bool) -> None:
    """Send `command` to the running box, print its output; exit 1 when it failed."""
    from model_tester.remote import run_on_box, running_instance

    settings, _ = _remote_settings()
    instance = running_instance(settings, start)
    invocation = run_on_box(
        settings, instance, command, comment, lambda line: click.echo(line, err=True)
    )
    if invocation.stdout:
        click.echo(invocation.stdout.rstrip("\n"))
    if invocation.stderr:
        click.echo(invocation.stderr.rstrip("\n"), err=True)
    if not invocation.ok:
        click.echo(
            f"error: remote command {invocation.command_id} ended {invocation.status} "
            f"(exit code {invocation.response_code})",
            err=True,
        )
        sys.exit(1)


@remote_group.command("test")
@click.option("--timestamp", help="Adapter timestamp; default: the newest in the bucket.")
@click.option("--sample-index", type=click.IntRange(0, 2))
@input_option
@click.option("--list", "list_only", is_flag=True, help="Print the docker command and exit.")
@start_option
def remote_test_command(
    timestamp: str | None,
    sample_index: int | None,
    text: str | None,
    text_file: TextIO | None,
    list_only: bool,
    start: bool,
) -> None:
    """Run `model-tester test` on the box, print its output; exit 1 when it fails."""
    from model_tester.remote import remote_test

    text = _one_input(sample_index, text, text_file)
    settings, store = _remote_settings()
    planned = remote_test(settings, store, timestamp, sample_index, text)
    newest_first = ", ".join(v.timestamp for v in planned.adapters) or "none"
    click.echo(f"adapters (newest first): {newest_first}")
    if list_only:
        click.echo(planned.command)
        return
    _run_on_box(planned.command, f"model-tester test {planned.timestamp}", start)


@remote_group.command("deploy")
@start_option
def remote_deploy_command(start: bool) -> None:
    """Pull REMOTE_IMAGE on the box (logging in to ECR first)."""
    from model_tester.remote import deploy_command

    settings, _ = _remote_settings()
    _run_on_box(deploy_command(settings), "model-tester deploy", start)


@remote_group.command("start")
def remote_start_command() -> None:
    """Start the box and wait until it runs and its SSM agent takes commands."""
    from model_tester.remote import running_instance

    settings, _ = _remote_settings()
    instance = running_instance(settings, start=True)
    click.echo(f"{instance.instance_id} running, SSM agent online")


@remote_group.command("stop")
def remote_stop_command() -> None:
    """Stop the box (it costs nothing but its disk while stopped)."""
    from model_tester.remote import stop_box

    settings, _ = _remote_settings()
    instance = stop_box(settings)
    click.echo(f"{instance.instance_id} stopping (was {instance.state})")


def main() -> None:
    run_cli(group, (UnknownTimestampError, AdapterMismatchError, BaseModelError, RemoteError))
