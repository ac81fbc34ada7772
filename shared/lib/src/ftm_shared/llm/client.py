"""`LlmClient`: structured chat completions against any OpenAI-compatible server.

One client per job. It caps requests in flight, asks the server to constrain decoding to the
caller's pydantic model, validates the answer, retries what retrying can fix (a cut-off or
off-schema answer, a server that is down, 429, 500) a bounded number of times, and fails fast
on what it cannot (400/401/403/404/422, a model the server does not serve).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
import openai
from pydantic import BaseModel, ValidationError

from ftm_shared.llm.config import LlmConfig, ResponseFormatStyle
from ftm_shared.llm.errors import (
    LlmConfigurationError,
    LlmServerError,
    OutputFailure,
    StructuredOutputError,
)
from ftm_shared.llm.health import HealthMonitor
from ftm_shared.llm.stats import LlmStats

log = logging.getLogger("ftm_shared.llm")

OutputT = TypeVar("OutputT", bound=BaseModel)
Messages = Sequence[dict[str, str]]

# 502/503/504 mean "the server (or its load balancer) is down": wait on health, not back off.
SERVER_DOWN_STATUSES = {502, 503, 504}
MAX_TOKENS_CAP = 4096


class LlmClient:
    def __init__(self, config: LlmConfig) -> None:
        self.config = config
        self.stats = LlmStats()
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0))
        self._openai = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key,
            max_retries=0,  # retries are ours: health-aware, and counted
            timeout=config.request_timeout_s,
        )
        self._slots = asyncio.Semaphore(config.max_concurrent)
        self.health = HealthMonitor(
            config.base_url,
            poll_s=config.health_poll_s,
            timeout_s=config.recovery_timeout_s,
            stats=self.stats,
            http=self._http,
            server_name=config.server_name,
        )
        self._model_checked = False
        self._model_lock = asyncio.Lock()

    async def __aenter__(self) -> LlmClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections and log the job's counters (also in `self.stats`)."""
        if self.stats.requests:
            log.info(self.stats.summary())
        await self._openai.close()
        await self._http.aclose()

    async def ensure_ready(self) -> None:
        """Readiness probe: wait for a healthy server, then check it serves our model."""
        async with self._model_lock:
            if self._model_checked:
                return
            while True:
                epoch = self.health.epoch
                try:
                    served = [model.id async for model in self._openai.models.list()]
                    break
                except (openai.APIConnectionError, openai.InternalServerError) as error:
                    await self.health.wait_for_recovery(epoch, error)
            if self.config.model not in served:
                raise LlmConfigurationError(
                    f"the LLM server at {self.config.base_url} does not serve model "
                    f"{self.config.model!r} (LLM_MODEL); it serves: {', '.join(served) or 'none'}"
                )
            self._model_checked = True

    async def structured(
        self,
        messages: Messages,
        output: type[OutputT],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> OutputT:
        """Ask for an answer shaped like `output`; return it validated, or raise a typed error."""
        self.stats.requests += 1
        await self.ensure_ready()
        for attempt in range(1, self.config.max_attempts + 1):
            completion = await self._complete(
                messages,
                response_format(self.config.response_format, output),
                max_tokens,
                temperature,
            )
            choice = completion.choices[0]
            content = choice.message.content or ""
            answer = _parse(content, choice.finish_reason, output)
            if not isinstance(answer, tuple):
                return answer
            self.stats.invalid_outputs += 1
            reason, detail = answer
            if attempt == self.config.max_attempts:
                self.stats.failures += 1
                raise StructuredOutputError(reason, attempt, output.__name__, content, detail)
            self.stats.retries += 1
            # A cut-off answer needs room; an off-schema one needs a different sample.
            if reason == "length":
                max_tokens = min(max_tokens * 2, MAX_TOKENS_CAP)
            else:
                temperature = max(temperature, 0.7)
        raise AssertionError("unreachable")

    async def _complete(
        self,
        messages: Messages,
        response_format: dict[str, Any],
        max_tokens: int,
        temperature: float,
    ) -> Any:
        rate_limited = server_errors = 0
        while True:
            self.health.raise_if_unavailable()
            epoch = self.health.epoch
            down: BaseException | None = None
            backoff_s = 0.0
            async with self._slots:
                self.stats.attempts += 1
                started = time.perf_counter()
                try:
                    completion = await self._openai.chat.completions.create(  # type: ignore[call-overload]
                        model=self.config.model,
                        messages=list(messages),  # type: ignore[arg-type]
                        response_format=response_format,  # type: ignore[arg-type]
                        max_tokens=max_tokens,
                        temperature=temperature,
                    )
                except openai.APIConnectionError as error:  # includes timeouts
                    down = error
                except openai.APIStatusError as error:
                    status = error.status_code
                    if status in SERVER_DOWN_STATUSES:
                        down = error
                    elif status == 429:
                        rate_limited += 1
                        if rate_limited > self.config.rate_limit_retries:
                            self.stats.failures += 1
                            raise LlmServerError(
                                f"still rate-limited after {rate_limited} tries"
                            ) from error
                        backoff_s = _retry_after(error) or _jittered(rate_limited)
                    elif status >= 500:
                        server_errors += 1
                        if server_errors >= self.config.max_attempts:
                            self.stats.failures += 1
                            raise LlmServerError(
                                f"HTTP {status} from {self.config.base_url} "
                                f"{server_errors} times: {error.message}"
                            ) from error
                        backoff_s = _jittered(server_errors)
                    else:
                        self.stats.failures += 1
                        raise LlmConfigurationError(
                            f"HTTP {status} from {self.config.base_url} for model "
                            f"{self.config.model!r}: {error.message}"
                        ) from error
                else:
                    self.stats.latencies_s.append(time.perf_counter() - started)
                    if completion.usage is not None:
                        self.stats.prompt_tokens += completion.usage.prompt_tokens
                        self.stats.completion_tokens += completion.usage.completion_tokens
                    return completion
            # Waiting happens outside the slot, so a waiting call holds no capacity.
            self.stats.retries += 1
            if down is not None:
                await self.health.wait_for_recovery(epoch, down)
            else:
                await asyncio.sleep(backoff_s)


def response_format(style: ResponseFormatStyle, output: type[BaseModel]) -> dict[str, Any]:
    """The request field that makes the server constrain decoding to `output`'s schema."""
    schema = output.model_json_schema()
    if style == "json_object":
        return {"type": "json_object", "schema": schema}
    return {
        "type": "json_schema",
        "json_schema": {"name": output.__name__, "schema": schema, "strict": True},
    }


def _parse(
    content: str, finish_reason: str | None, output: type[OutputT]
) -> OutputT | tuple[OutputFailure, str]:
    """The validated answer, or why it is not one (a reason the retry logic acts on)."""
    if finish_reason == "length":
        return "length", ""
    try:
        # llama.cpp's JSON grammar lets raw control characters (a newline) into strings;
        # strict parsing would throw away an otherwise good answer for it.
        parsed = json.loads(content, strict=False)
    except json.JSONDecodeError as error:
        return "invalid_json", str(error)
    try:
        return output.model_validate(parsed)
    except ValidationError as error:
        return "schema", str(error.errors()[0]["msg"])


def _retry_after(error: openai.APIStatusError) -> float | None:
    value = error.response.headers.get("retry-after")
    try:
        return min(float(value), 60.0) if value else None
    except ValueError:
        return None


def _jittered(attempt: int) -> float:
    return float(min(30.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2))  # noqa: S311
