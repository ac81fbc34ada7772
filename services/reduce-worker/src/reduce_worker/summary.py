"""What a reduce run reports: its counts, timings, failures and where it wrote (the CLI prints
it, `runner.py` fills it, the run's `reduce_report.json` stores it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ThemeFailure:
    theme_id: str
    n_topics: int
    n_firms: int
    error_type: str
    message: str


@dataclass
class ReduceSummary:
    quarter: str
    run_id: str
    topics: int = 0
    firms: int = 0
    themes: int = 0
    in_themes: int = 0
    firm_specific: int = 0
    firm_specific_groups: int = 0
    filler: int = 0
    """Topics of groups that were hedging and turn-taking, not a subject (`filler.py`)."""
    filler_groups: int = 0
    unassigned: int = 0
    clustering_s: float = 0.0
    naming_s: float = 0.0
    llm: dict[str, Any] = field(default_factory=dict)
    failures: list[ThemeFailure] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    """Themes named by their keyword phrases: no LLM answer fitted them."""
    outputs: list[str] = field(default_factory=list)
    report_uri: str = ""
    procedure: dict[str, Any] = field(default_factory=dict)
    oversized_themes: list[dict[str, int]] = field(default_factory=list)
    quality: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    exposure: dict[str, int] = field(default_factory=dict)
    """The exposure panel's rows, calls and themes (empty: no panel, see the log)."""
    registry: dict[str, Any] = field(default_factory=dict)
    """The quarter's themes per registry decision and the stable themes in all (`registry.py`),
    or the error that left them unregistered."""
    """The previous quarter and run linked to, and how many themes have each status."""
    skipped: bool = False
    """The run was reduced before: nothing was recomputed (only published again if another
    run had become current since)."""
