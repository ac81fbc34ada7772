"""A map run's per-firm costs in the steady state, with each worker's start-up apart.

A worker's start (Ray, model load, the first encode, numba compiling UMAP on the first fit) is
paid once per worker per shard job; a firm's embedding and topic seconds are paid per firm.
Spread over a handful of firms, the one-time part swamps the per-firm part (8 firms once read
47.8 CPU s per firm). So the rates here leave out each worker's first firm, whatever warm-up
the worker did, and give the median and p90 of the rest, with start-up reported apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Spread:
    median: float
    p90: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls(0.0, 0.0, 0.0)
        array = np.asarray(values, dtype=float)
        return cls(float(np.median(array)), float(np.quantile(array, 0.9)), float(array.mean()))


@dataclass(frozen=True)
class SteadyRates:
    firms: int
    """Firms measured: every firm done but each worker's first."""
    firms_left_out: int
    embed_s: Spread
    topics_s: Spread
    cpu_s: Spread
    """Embedding + topics of one firm, on one worker's core(s)."""
    sentences: Spread
    embed_sentences_per_s: float
    """Sentences over embedding seconds, summed over the measured firms: one worker's rate."""
    worker_startup_s: Spread
    ray_startup_s: float

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> SteadyRates:
        """From `map-worker run --summary-json`'s report: its shards' `firm_costs`, its
        workers' `worker_startup_s` and the run's `startup_s`."""
        costs = [cost for shard in summary["shards"] for cost in shard.get("firm_costs", [])]
        steady = [cost for cost in costs if cost["nth"] > 1]
        embed_s = sum(cost["embed_s"] for cost in steady)
        return cls(
            firms=len(steady),
            firms_left_out=len(costs) - len(steady),
            embed_s=Spread.of([cost["embed_s"] for cost in steady]),
            topics_s=Spread.of([cost["topics_s"] for cost in steady]),
            cpu_s=Spread.of([cost["embed_s"] + cost["topics_s"] for cost in steady]),
            sentences=Spread.of([float(cost["sentences"]) for cost in steady]),
            embed_sentences_per_s=sum(c["sentences"] for c in steady) / embed_s if embed_s else 0,
            worker_startup_s=Spread.of(summary.get("worker_startup_s", [])),
            ray_startup_s=float(summary.get("startup_s", 0.0)),
        )

    def lines(self) -> list[str]:
        def row(label: str, spread: Spread, unit: str = "s") -> str:
            return (
                f"  {label:28} median {spread.median:7.2f} {unit}  p90 {spread.p90:7.2f} {unit}"
                f"  mean {spread.mean:7.2f} {unit}"
            )

        return [
            f"steady state: {self.firms} firms (each worker's first left out: "
            f"{self.firms_left_out})",
            row("embedding per firm", self.embed_s),
            row("topics per firm", self.topics_s),
            row("embedding + topics per firm", self.cpu_s),
            row("sentences per firm", self.sentences, " "),
            f"  embedding rate (one worker)  {self.embed_sentences_per_s:.1f} sentences/s",
            f"start-up, once per worker per shard job: {self.worker_startup_s.mean:.1f} s a "
            f"worker (p90 {self.worker_startup_s.p90:.1f} s: model load, first encode, first "
            f"fit) within Ray's {self.ray_startup_s:.1f} s",
        ]
