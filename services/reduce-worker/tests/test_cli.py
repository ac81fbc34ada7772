from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

from ftm_local.published import mapped_run
from ftm_shared.llm import LlmStats
from ftm_shared.storage import ObjectStore
from reduce_worker.cli import render_summary
from reduce_worker.summary import ReduceSummary, ThemeFailure


def reduce_worker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reduce_worker", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.unit
def test_help_lists_the_commands() -> None:
    result = reduce_worker("--help")
    assert result.returncode == 0
    assert all(command in result.stdout for command in ("check", "inputs", "run"))


@pytest.mark.integration
def test_inputs_lists_the_parts_of_the_run_reduce_would_read(store: ObjectStore) -> None:
    part = pa.table({"firm_id": ["A"], "x": [1]})
    mapped_run(store, "2017Q1", [part, part], run_id="20260101T000000Z-old00000")
    newest = mapped_run(store, "2017Q1", [part, part], run_id="20260102T000000Z-new00000")
    mapped_run(store, "2017Q2", [part], run_id="20260103T000000Z-other000")
    result = reduce_worker("inputs", "--quarter", "2017Q1")
    assert result.returncode == 0, result.stderr
    assert f"2 firm-topic part(s) of run {newest.run_id} of 2017Q1" in result.stdout
    assert "run=20260102T000000Z-new00000/firm-topics/shard=00001/part-00000" in result.stdout
    assert "old00000" not in result.stdout


@pytest.mark.integration
def test_bad_quarter_is_one_clear_error(store: ObjectStore) -> None:
    result = reduce_worker("inputs", "--quarter", "2017Q9")
    assert result.returncode == 2
    assert "quarter must look like 2017Q1" in result.stderr


@pytest.mark.unit
def test_the_summary_names_every_count_and_each_failed_theme() -> None:
    summary = ReduceSummary(
        "2017Q1",
        "run-1",
        topics=65,
        firms=11,
        themes=2,
        in_themes=9,
        firm_specific=50,
        firm_specific_groups=40,
        filler=3,
        filler_groups=1,
        unassigned=6,
        clustering_s=0.25,
        naming_s=12.0,
        llm=LlmStats(requests=3, attempts=4, retries=1, latencies_s=[0.5]).as_dict(),
        failures=[ThemeFailure("theme_2017Q1_002", 4, 3, "StructuredOutputError", "not JSON")],
        report_uri="s3://b/progress/2017Q1/reduce_report.json",
        procedure={"sentences": 40, "firms": 9, "by_firm": {}},
        oversized_themes=[{"topics": 9, "limit": 7}],
        quality={
            "keyword_npmi": 0.0261,
            "largest_theme_topic_share": 0.091,
            "theme_name_fit_at1": 0.75,
            "theme_keyword_name_fit_at1": 0.7,
            "theme_first_person_description_share": 0.0,
        },
    )
    text = render_summary(summary)
    for line in (
        "topics read     65 of 11 firm(s)",
        "themes          2 (9 topics)",
        "firm-specific   50 topics in 40 group(s) of one firm or under two shared words",
        "unassigned      6 topics",
        "clustering 0.2s, naming 12.0s",
        "LLM             3 requests (4 attempts, 1 retries, 0 failed), 0 recoveries",
        "NOT NAMED       1 theme(s); nothing written",
        "theme_2017Q1_002 (4 topics, 3 firms) StructuredOutputError: not JSON",
        "report          s3://b/progress/2017Q1/reduce_report.json",
        "call procedure  40 sentence(s) of 9 firm(s) set aside (topic -1)",
        "large theme     9 topics kept whole above the limit of 7",
        "quality         keyword NPMI 0.026, diversity -, largest theme 0.091 of topics",
        "filler          3 topics in 1 group(s) of hedging and turn-taking, no theme written",
        "names           theme fit@1 0.750 (keyword names 0.700), topic fit@1 -",
        "summaries       topic summaries cut off or looping -; theme descriptions cut off or "
        "looping -, speaking as one firm 0.000, retelling one topic -",
    ):
        assert line in text
