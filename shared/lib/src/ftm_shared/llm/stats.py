"""Counters of one client's life: what the caller logs at the end of a job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class LlmStats:
    requests: int = 0
    attempts: int = 0
    retries: int = 0
    invalid_outputs: int = 0
    failures: int = 0
    recoveries: int = 0
    recovery_wait_s: float = 0.0
    health_polls: int = 0
    active_pollers: int = 0
    max_concurrent_pollers: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latencies_s: list[float] = field(default_factory=list)

    def latency_percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_s, q)) if self.latencies_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "attempts": self.attempts,
            "retries": self.retries,
            "invalid_outputs": self.invalid_outputs,
            "failures": self.failures,
            "recoveries": self.recoveries,
            "recovery_wait_s": round(self.recovery_wait_s, 1),
            "health_polls": self.health_polls,
            "max_concurrent_pollers": self.max_concurrent_pollers,
            "latency_p50_s": round(self.latency_percentile(50), 3),
            "latency_p95_s": round(self.latency_percentile(95), 3),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }

    def summary(self) -> str:
        return f"LLM: {describe(self.as_dict())}"


def describe(counters: dict[str, Any]) -> str:
    """One line from `LlmStats.as_dict()` counters, also once they have travelled in a job's
    summary: requests, retries, failures, recoveries, latency and tokens."""
    d = counters
    return (
        f"{d['requests']} requests ({d['attempts']} attempts, {d['retries']} retries, "
        f"{d['failures']} failed), {d['recoveries']} recoveries waiting "
        f"{d['recovery_wait_s']}s, latency p50 {d['latency_p50_s']}s p95 "
        f"{d['latency_p95_s']}s, tokens {d['prompt_tokens']} in / {d['completion_tokens']} out"
    )
