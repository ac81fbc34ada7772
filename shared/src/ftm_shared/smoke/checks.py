"""The smoke run's criteria: what the stages report, plus the Great Expectations suites."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ftm_shared.config import FtmSettings
from ftm_shared.ingest import IngestResult
from ftm_shared.smoke.outputs import Outputs
from ftm_shared.smoke.report import ReportLine
from ftm_shared.smoke.stages import ServiceRun


@dataclass(frozen=True)
class Check:
    label: str
    passed: bool
    detail: str

    def render(self) -> str:
        return f"  {'✓' if self.passed else '✗'} {self.label}: {self.detail}"

    def report_line(self) -> ReportLine:
        return ReportLine(self.label, self.passed, self.detail)

    @classmethod
    def counted(cls, label: str, good: int, total: int, note: str = "") -> Check:
        detail = f"{good}/{total}" + (f" ({note})" if note else "")
        return cls(label, total > 0 and good == total, detail)

    @classmethod
    def from_demo(cls, demo: ServiceRun) -> Check:
        summary = demo.line_starting("summary:")
        if demo.ok and summary:
            return cls(
                "model-tester demo (base vs adapter)", True, summary.removeprefix("summary: ")
            )
        return cls("model-tester demo (base vs adapter)", False, f"exit {demo.exit_code}")


@dataclass(frozen=True)
class Validation:
    checks: list[Check]
    data_docs: Path | None


def pipeline_checks(
    ingested: IngestResult, mapped: ServiceRun, reduced: ServiceRun | None, outputs: Outputs
) -> list[Check]:
    topics = outputs.firm_topics
    mapped_firms = topics["firm_id"].nunique() if not topics.empty else 0
    themes = len(outputs.themes)
    return [
        Check.counted(
            "Firms mapped", mapped_firms, ingested.n_firms, f"map-worker exit {mapped.exit_code}"
        ),
        Check(
            "Reduce finished",
            reduced is not None and reduced.ok,
            "not run" if reduced is None else f"reduce-worker exit {reduced.exit_code}",
        ),
        Check("Cross-firm themes found", themes > 0, f"{themes} themes from {len(topics)} topics"),
    ]


def validate_outputs(settings: FtmSettings, quarter: str) -> Validation:
    """The Great Expectations suites' checklist (ftm_expectations, installed in the workspace)."""
    try:
        from ftm_expectations.checklist import run_checklist  # type: ignore[import-not-found]
    except ImportError as missing:
        return Validation(
            [Check("Great Expectations suites", False, f"cannot run: {missing}")], None
        )
    checklist = run_checklist(settings, quarter)
    checks = [
        Check(
            c.name, c.passed, f"{c.passed_count}/{c.total}" + (f" ({c.detail})" if c.detail else "")
        )
        for c in checklist.criteria
    ]
    return Validation(checks, checklist.data_docs)
