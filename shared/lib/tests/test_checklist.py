from __future__ import annotations

from pathlib import Path

import pytest

from ftm_shared.checklist import Checklist, Criterion

pytestmark = pytest.mark.unit


def test_a_criterion_renders_its_count_and_the_failing_rows() -> None:
    assert Criterion("Summary populated", True, 153, 153).render() == (
        "✓ Summary populated: 153/153"
    )
    failed = Criterion("Naming method is llm", False, 150, 153, "3 rows: firm X topic 2")
    assert failed.render() == "✗ Naming method is llm: 150/153 (3 rows: firm X topic 2)"
    assert Criterion("Reduce finished", False, detail="exit 2").render() == (
        "✗ Reduce finished: exit 2"
    )


def test_counted_passes_only_a_full_non_empty_count() -> None:
    assert Criterion.counted("Firms mapped", 25, 25).passed
    assert not Criterion.counted("Firms mapped", 24, 25).passed
    assert not Criterion.counted("Firms mapped", 0, 0).passed


def test_a_checklist_passes_when_every_criterion_passes_and_others_can_add_theirs() -> None:
    checklist = Checklist("2017Q1", [Criterion("Summary populated", True, 3, 3)])
    assert checklist.passed

    checklist.criteria.append(Criterion.counted("Firms mapped", 11, 12, "ADS failed"))

    assert not checklist.passed
    assert [c.name for c in checklist.failed] == ["Firms mapped"]
    assert not Checklist("2017Q1").passed


def test_the_rendered_checklist_ends_with_the_data_docs() -> None:
    docs = Path("/tmp/gx/uncommitted/data_docs/local_site/index.html")
    checklist = Checklist("2017Q1", [Criterion("Summary populated", False, 2, 3, "1 row: x")], docs)

    assert checklist.render().splitlines() == [
        "Checklist 2017Q1: 1 criteria, 1 failed",
        "  ✗ Summary populated: 2/3 (1 row: x)",
        f"data docs: {docs}",
    ]
