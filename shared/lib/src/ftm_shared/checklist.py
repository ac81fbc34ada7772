"""A checklist of success criteria: what each one counted, and the rows that failed it.

The Great Expectations suites (`ftm-expectations`) produce it; `ftm validate`, `make smoke` and
the cloud smoke print it, so every run shows its verdict the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
