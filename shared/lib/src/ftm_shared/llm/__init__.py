"""The one LLM client of ftm: async, structured output, health-aware retry with one shared wait."""

from ftm_shared.llm.client import LlmClient
from ftm_shared.llm.config import LlmConfig, LlmSettings
from ftm_shared.llm.errors import (
    LlmConfigurationError,
    LlmError,
    LlmServerError,
    LlmUnavailableError,
    StructuredOutputError,
)
from ftm_shared.llm.stats import LlmStats

__all__ = [
    "LlmClient",
    "LlmConfig",
    "LlmConfigurationError",
    "LlmError",
    "LlmServerError",
    "LlmSettings",
    "LlmStats",
    "LlmUnavailableError",
    "StructuredOutputError",
]
