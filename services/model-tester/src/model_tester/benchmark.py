"""Throughput and latency per batch size, and what batching buys over one-by-one generation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ftm_shared.storage import ObjectStore
from model_tester.adapters import find_adapter
from model_tester.base_model import LoadedModel
from model_tester.config import ModelTesterSettings
from model_tester.extraction import generate
from model_tester.medical_data import GLAUCOMA, load_examples
from model_tester.metrics import percentile
from model_tester.prompts import build_prompt
from model_tester.workflows import base_and_adapter


@dataclass(frozen=True)
class BatchResult:
    batch_size: int
    examples: int
    batch_latency_p50_s: float
    batch_latency_p95_s: float
    tokens_per_s: float
    examples_per_s: float


def benchmark(
    loaded: LoadedModel,
    model: Any,
    prompts: Sequence[str],
    batch_sizes: Sequence[int],
    new_tokens: int,
) -> list[BatchResult]:
    """Every batch size generates exactly `new_tokens` for the same prompts."""
    # One untimed call first: the first generate pays for lazy initialisation.
    generate(loaded, prompts[:1], model=model, max_new_tokens=2)
    results = []
    for size in batch_sizes:
        runs = generate(
            loaded, prompts, model=model, batch_size=size, max_new_tokens=new_tokens,
            fixed_length=True,
        )  # fmt: skip
        # Members of one batch share its wall time; take each batch once.
        batches = [runs[i].batch_seconds for i in range(0, len(runs), size)]
        wall = sum(batches)
        tokens = sum(g.new_tokens for g in runs)
        results.append(
            BatchResult(
                batch_size=size,
                examples=len(runs),
                batch_latency_p50_s=round(percentile(batches, 50), 3),
                batch_latency_p95_s=round(percentile(batches, 95), 3),
                tokens_per_s=round(tokens / wall, 2),
                examples_per_s=round(len(runs) / wall, 3),
            )
        )
    return results


def batch_sizes(max_batch: int) -> list[int]:
    """1, 2, 4 … up to `max_batch`, and `max_batch` itself."""
    return sorted(
        {1, max_batch, *(2**i for i in range(max_batch.bit_length()) if 2**i <= max_batch)}
    )


@dataclass(frozen=True)
class BenchmarkReport:
    timestamp: str
    device: str
    prompts: int
    new_tokens: int
    results: list[BatchResult]


def benchmark_adapter(
    settings: ModelTesterSettings,
    store: ObjectStore,
    timestamp: str | None,
    max_batch: int,
    examples: int,
    new_tokens: int,
) -> BenchmarkReport:
    """`benchmark`: base + the adapter at `timestamp` (default: the newest) on held-back
    glaucoma prompts, at every batch size up to `max_batch`."""
    version = find_adapter(store, settings.s3_prefix, timestamp)
    prompts = [build_prompt(GLAUCOMA, e.text) for e in load_examples(GLAUCOMA, "test", examples)]
    with base_and_adapter(settings, store, version.timestamp) as tested:
        results = benchmark(
            tested.loaded, tested.model, prompts, batch_sizes(max_batch), new_tokens
        )
    return BenchmarkReport(
        version.timestamp, tested.loaded.device, len(prompts), new_tokens, results
    )


def batching_gain(results: Sequence[BatchResult]) -> float:
    """Examples per second at the largest batch size over batch size 1."""
    one = next(r for r in results if r.batch_size == 1)
    largest = max(results, key=lambda r: r.batch_size)
    return round(largest.examples_per_s / one.examples_per_s, 2)


def render(report: BenchmarkReport) -> str:
    results = report.results
    lines = [
        f"adapter {report.timestamp} on {report.device}, {report.prompts} prompts, "
        f"{report.new_tokens} new tokens each",
        "batch  examples  latency p50  latency p95   tokens/s  examples/s",
    ]
    for r in results:
        lines.append(
            f"{r.batch_size:>5}  {r.examples:>8}  {r.batch_latency_p50_s:>10.2f}s "
            f"{r.batch_latency_p95_s:>10.2f}s  {r.tokens_per_s:>9.1f}  {r.examples_per_s:>10.2f}"
        )
    if any(r.batch_size == 1 for r in results) and len(results) > 1:
        lines.append(f"batched vs one-by-one: {batching_gain(results)}x examples/s")
    return "\n".join(lines)
