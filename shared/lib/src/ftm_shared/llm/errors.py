"""Typed failures of the LLM client: each says what went wrong and whether retrying can help."""

from __future__ import annotations

from typing import Literal

OutputFailure = Literal["length", "invalid_json", "schema"]


class LlmError(RuntimeError):
    pass


class LlmConfigurationError(LlmError):
    """The server refused the request as malformed or unknown (400/401/403/404/422): fix the
    settings, waiting will not help."""


class LlmUnavailableError(LlmError):
    """The server stayed unhealthy past the recovery timeout."""


class LlmServerError(LlmError):
    """The server kept failing a request (HTTP 500, or 429 past the back-off budget)."""


class StructuredOutputError(LlmError):
    """The model's answer never fit the schema within the allowed attempts."""

    def __init__(
        self,
        reason: OutputFailure,
        attempts: int,
        schema_name: str,
        content: str,
        detail: str = "",
    ) -> None:
        what = {
            "length": "was cut off (finish_reason=length)",
            "invalid_json": "was not valid JSON",
            "schema": "did not match the schema",
        }[reason]
        super().__init__(
            f"{schema_name}: the answer {what} after {attempts} attempt(s)"
            + (f": {detail}" if detail else "")
            + f"; last answer: {content[:200]!r}"
        )
        self.reason = reason
        self.attempts = attempts
        self.content = content
