"""Is vLLM answering `/health`? Two probes, because the load balancer is internal.

From an operator's laptop the internal load balancer is unreachable, so by default the probe
asks the load balancer itself: its health check is `GET /health` on every task, and a target
is `healthy` only after that answered 200 for the threshold count. Where `/health` is
reachable directly (a tunnel, a VPN, a test), `VLLM_HEALTH_URL` makes the probe call it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

import httpx


class HealthProbe(Protocol):
    def __call__(self) -> tuple[bool, str]: ...


@dataclass
class TargetGroupHealth:
    elbv2: Any
    target_group_arn: str

    def __call__(self) -> tuple[bool, str]:
        targets = self.elbv2.describe_target_health(TargetGroupArn=self.target_group_arn)
        states = Counter(t["TargetHealth"]["State"] for t in targets["TargetHealthDescriptions"])
        summary = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        return states["healthy"] > 0, f"targets: {summary or 'none registered'}"


@dataclass
class HttpHealth:
    url: str
    timeout_s: float = 5.0

    def __call__(self) -> tuple[bool, str]:
        try:
            response = httpx.get(self.url, timeout=self.timeout_s)
        except httpx.HTTPError as error:
            return False, f"{self.url}: {type(error).__name__}"
        return response.status_code == 200, f"{self.url}: HTTP {response.status_code}"
