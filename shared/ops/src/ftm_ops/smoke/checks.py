"""The smoke run's own criteria: what the stages report (the suites' come after them)."""

from __future__ import annotations

from ftm_ops.export import Exported
from ftm_ops.ingest import IngestResult
from ftm_ops.quarter.processes import ServiceRun
from ftm_ops.smoke.outputs import Outputs
from ftm_shared.checklist import Criterion

DEMO = "model-tester demo (base vs adapter)"
EXPORTED = "Export tables with rows"


def pipeline_criteria(
    ingested: IngestResult,
    mapped: ServiceRun | None,
    reduced: ServiceRun | None,
    outputs: Outputs,
) -> list[Criterion]:
    topics = outputs.firm_topics
    mapped_firms = int(topics["firm_id"].nunique()) if not topics.empty else 0
    themes = len(outputs.themes)
    map_detail = "not run" if mapped is None else f"map-worker exit {mapped.exit_code}"
    return [
        Criterion.counted("Firms mapped", mapped_firms, ingested.n_firms, map_detail),
        Criterion(
            "Reduce finished",
            reduced is not None and reduced.ok,
            detail="not run" if reduced is None else f"reduce-worker exit {reduced.exit_code}",
        ),
        Criterion(
            "Cross-firm themes found",
            themes > 0,
            detail=f"{themes} themes from {len(topics)} firm topics",
        ),
        Criterion(
            "Exposure panel written",
            not outputs.exposure.empty or themes == 0,
            detail=_exposure_detail(outputs),
        ),
    ]


def _exposure_detail(outputs: Outputs) -> str:
    panel = outputs.exposure
    if panel.empty:
        return "no (call, theme) rows"
    return (
        f"{len(panel)} (call, theme) rows over {panel['call_id'].nunique()} calls, "
        f"{panel['theme_id'].nunique()} themes"
    )


def demo_criterion(demo: ServiceRun) -> Criterion:
    summary = demo.line_starting("summary:")
    if demo.ok and summary:
        return Criterion(DEMO, True, detail=summary.removeprefix("summary: "))
    return Criterion(DEMO, False, detail=f"model-tester exit {demo.exit_code}")


def export_criterion(exported: Exported) -> Criterion:
    """Several quarters: every exported table has rows (the notes say what a quarter lacks)."""
    rows = {name: table.height for name, table in exported.tables.items()}
    empty = [name for name, count in rows.items() if count == 0]
    detail = ", ".join(f"{name} {count}" for name, count in rows.items())
    return Criterion.counted(
        EXPORTED,
        len(rows) - len(empty),
        len(rows),
        detail + (f"; empty: {', '.join(empty)}" if empty else ""),
    )
