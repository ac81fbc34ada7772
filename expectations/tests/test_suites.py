from __future__ import annotations

import subprocess
import sys

import pytest

from ftm_expectations.suites import (
    all_suites,
    exposure,
    firm_topics,
    lineage,
    quotes,
    raw_transcripts,
    theme_contributions,
)
from ftm_expectations.suites import themes as themes_suite
from ftm_shared import schemas

pytestmark = pytest.mark.unit


def test_the_suites_name_every_column_of_the_contracts() -> None:
    assert list(raw_transcripts.COLUMNS) == schemas.RAW_TRANSCRIPTS.names
    assert list(firm_topics.COLUMNS) == schemas.FIRM_TOPICS.names
    assert list(themes_suite.COLUMNS) == schemas.THEMES.names
    contributions = {**theme_contributions.COLUMNS, **theme_contributions.IDENTIFIERS}
    assert set(contributions) == set(schemas.THEME_CONTRIBUTIONS.names)
    assert list(exposure.COLUMNS) == schemas.FIRM_THEME_EXPOSURE.names
    assert list(quotes.COLUMNS) == schemas.THEME_QUOTES.names
    assert list(lineage.COLUMNS) == schemas.THEME_LINEAGE.names


def test_every_expectation_survives_into_its_saved_suite() -> None:
    # A Great Expectations suite drops an expectation equal to one it holds: two rules sharing
    # one would silently lose it.
    import great_expectations as gx

    for suite in all_suites("2017Q1"):
        labels = [rule.label for rule in suite.rules]
        assert len(set(labels)) == len(labels)
        expectations = [e for rule in suite.rules for e in rule.expectations]
        saved = gx.ExpectationSuite(name=suite.name, expectations=expectations)
        assert len(saved.expectations) == len(expectations), suite.name


def test_importing_the_checklist_does_not_import_great_expectations() -> None:
    code = "import sys, ftm_expectations.checklist;sys.exit('great_expectations' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
