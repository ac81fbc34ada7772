"""One shared wait on the server's health when it goes down.

The first coroutine whose request fails because the server is down takes the lock and polls
health; every other coroutine that fails meanwhile queues on the same lock and, when it gets
it, sees that the epoch moved on (the server recovered) and resumes at once, or sees the
recorded failure and raises it. So at most one coroutine polls, and all resume together.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from ftm_shared.llm.errors import LlmUnavailableError
from ftm_shared.llm.stats import LlmStats

log = logging.getLogger("ftm_shared.llm")


def server_root(base_url: str) -> str:
    """`http://host:port/v1` -> `http://host:port` (where the server answers /health)."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


class HealthMonitor:
    def __init__(
        self,
        base_url: str,
        *,
        poll_s: float,
        timeout_s: float,
        stats: LlmStats,
        http: httpx.AsyncClient,
        server_name: str = "LLM server",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Every recovery line starts with it: operators search the logs for "vLLM".
        self.server_name = server_name
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self.stats = stats
        self.http = http
        self.epoch = 0
        self._lock = asyncio.Lock()
        self._failure: LlmUnavailableError | None = None

    def raise_if_unavailable(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def is_healthy(self) -> bool:
        """`/health` answers 200: vLLM in the cloud and llama.cpp's server locally alike (both
        answer 503 while the model loads).

        A server that accepts the connection but is too busy to answer in time counts as up:
        a read timeout means "working", while a refused connection means "down".
        """
        try:
            response = await self.http.get(f"{server_root(self.base_url)}/health")
            return response.status_code == 200
        except httpx.ReadTimeout:
            return True
        except httpx.HTTPError:
            return False

    async def wait_for_recovery(self, seen_epoch: int, cause: BaseException) -> None:
        """Return once the server is healthy again; raise `LlmUnavailableError` on timeout."""
        async with self._lock:
            self.raise_if_unavailable()
            if self.epoch != seen_epoch:
                return  # another coroutine already waited the outage out
            await self._poll(cause)
            self.epoch += 1

    async def _poll(self, cause: BaseException) -> None:
        self.stats.active_pollers += 1
        self.stats.max_concurrent_pollers = max(
            self.stats.max_concurrent_pollers, self.stats.active_pollers
        )
        started = time.monotonic()
        try:
            log.warning("%s at %s failed (%s)", self.server_name, self.base_url, _describe(cause))
            while True:
                self.stats.health_polls += 1
                if await self.is_healthy():
                    waited = time.monotonic() - started
                    self.stats.recoveries += 1
                    self.stats.recovery_wait_s += waited
                    log.warning("%s recovered after %.1fs", self.server_name, waited)
                    return
                elapsed = time.monotonic() - started
                if elapsed >= self.timeout_s:
                    self._failure = LlmUnavailableError(
                        f"{self.server_name} at {self.base_url} did not recover within "
                        f"{self.timeout_s:.0f}s (LLM_RECOVERY_TIMEOUT_S); first error: "
                        f"{_describe(cause)}"
                    )
                    raise self._failure
                log.warning(
                    "%s unhealthy, waiting... (%.0fs / %.0fs)",
                    self.server_name,
                    elapsed,
                    self.timeout_s,
                )
                await asyncio.sleep(min(self.poll_s, self.timeout_s - elapsed))
        finally:
            self.stats.active_pollers -= 1


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()
