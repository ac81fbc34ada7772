"""A checklist of success criteria: what each one counted, and the rows that failed it.

Shared by the Great Expectations suites (`ftm validate`), `make smoke` and the cloud smoke, so
every run prints its verdict the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ftm_shared.config import FtmSettings


@dataclass(frozen=True)
class Criterion:
    name: str
    passed: bool
    passed_count: int | None = None
    """With `total`: how many of the counted things passed; None for a yes/no criterion."""
    total: int | None = None
    detail: str = ""

    @classmethod
    def counted(cls, name: str, passed_count: int, total: int, detail: str = "") -> Criterion:
        """Passed when every one of a non-empty total passed."""
        return cls(name, total > 0 and passed_count == total, passed_count, total, detail)

    def render(self) -> str:
        mark = "✓" if self.passed else "✗"
        if self.total is None:
            return f"{mark} {self.name}" + (f": {self.detail}" if self.detail else "")
        line = f"{mark} {self.name}: {self.passed_count}/{self.total}"
        return line + (f" ({self.detail})" if self.detail else "")


@dataclass
class Checklist:
    quarter: str
    criteria: list[Criterion] = field(default_factory=list)
    data_docs: Path | None = None
    """The data docs' `index.html`, once a checkpoint has written them."""

    @property
    def passed(self) -> bool:
        return bool(self.criteria) and all(criterion.passed for criterion in self.criteria)

    @property
    def failed(self) -> list[Criterion]:
        return [criterion for criterion in self.criteria if not criterion.passed]

    def render(self) -> str:
        verdict = "passed" if self.passed else f"{len(self.failed)} failed"
        lines = [f"Checklist {self.quarter}: {len(self.criteria)} criteria, {verdict}"]
        lines += [f"  {criterion.render()}" for criterion in self.criteria]
        if self.data_docs is not None:
            lines.append(f"data docs: {self.data_docs}")
        return "\n".join(lines)


def expectations_checklist(settings: FtmSettings, quarter: str) -> Checklist:
    """The Great Expectations suites' checklist for `quarter`'s outputs in the settings' bucket.

    The suites live in the `ftm-expectations` workspace member, imported only here: Great
    Expectations is heavy and no service image carries it. Without it the checklist fails with
    one criterion that says how to install it.
    """
    try:
        from ftm_expectations.checklist import run_checklist
    except ImportError as missing:
        reason = (
            f"cannot run: {missing}; install the workspace (`uv sync --all-packages`), as "
            "`make smoke`, `nox -s expectations` and `nox -s cloud_smoke` do"
        )
        return Checklist(quarter, [Criterion("Great Expectations suites", False, detail=reason)])
    return run_checklist(settings, quarter)
