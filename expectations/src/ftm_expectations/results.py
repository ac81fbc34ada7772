"""Turn one suite's validation results into checklist criteria that name the failing rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ftm_expectations.suites import Rule, Suite
from ftm_shared.checklist import Criterion

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

CRITERION_META = "ftm_criterion"
EXAMPLES = 3
_VALUE_WIDTH = 40


def criteria_for(
    suite: Suite,
    view: pd.DataFrame,
    results: Iterable[ExpectationValidationResult],
    missing: set[str],
) -> list[Criterion]:
    """One criterion per rule, in the suite's order; rules needing a missing data set are
    left out (the missing data set is a failed criterion of its own)."""
    by_rule: dict[str, list[ExpectationValidationResult]] = {}
    for result in results:
        meta = result.expectation_config.meta if result.expectation_config else None
        by_rule.setdefault(str((meta or {}).get(CRITERION_META)), []).append(result)
    criteria = []
    for rule in suite.rules:
        if any(needed.name in missing for needed in rule.needs):
            continue
        found = by_rule.get(rule.label, [])
        if rule.per_row:
            criteria.append(_row_criterion(suite, rule, view, found))
        else:
            criteria.append(_table_criterion(rule, found))
    return criteria


def _error(result: ExpectationValidationResult) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return f"{_expectation(result)}: {info.get('exception_message')}"
    return None


def _expectation(result: ExpectationValidationResult) -> str:
    config = result.expectation_config
    if config is None:
        return "?"
    kwargs = config.kwargs
    columns = (
        kwargs.get("column")
        or kwargs.get("column_list")
        or [
            kwargs.get("column_A"),
            kwargs.get("column_B"),
        ]
    )
    named = columns if isinstance(columns, str) else ", ".join(str(c) for c in columns if c)
    return f"{config.type}({named})"


def _checked_columns(result: ExpectationValidationResult) -> list[str]:
    kwargs = result.expectation_config.kwargs if result.expectation_config else {}
    found = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")]
    found += list(kwargs.get("column_list") or [])
    return [str(column) for column in found if column]


def _row_criterion(
    suite: Suite, rule: Rule, view: pd.DataFrame, results: Sequence[ExpectationValidationResult]
) -> Criterion:
    total = len(view)
    errors = [error for error in map(_error, results) if error]
    if errors or not results:
        detail = "; ".join(errors) or "no result (the suite did not run)"
        return Criterion(rule.label, False, 0, total, f"could not check: {detail}")
    shown: dict[Any, list[str]] = {}
    for result in results:
        columns = _checked_columns(result)
        for index in (result.result or {}).get("unexpected_index_list") or []:
            shown.setdefault(index, [])
            shown[index] += [c for c in columns if c not in shown[index]]
    passed = all(bool(result.success) for result in results)
    # Rows are named also when a `mostly` rule passes: a tolerated row is still a row to see.
    detail = _rows_detail(suite, rule, view, shown) if shown else ""
    return Criterion(rule.label, passed, total - len(shown), total, detail)


def _rows_detail(suite: Suite, rule: Rule, view: pd.DataFrame, shown: dict[Any, list[str]]) -> str:
    examples: list[str] = []
    for index, columns in shown.items():
        if index not in view.index:
            continue
        row = view.loc[index]
        ids = suite.data_set.id_columns
        values = [
            f"{column}={_short(row[column])}"
            for column in (rule.show or columns)
            if column in view.columns and column not in ids
        ]
        example = suite.data_set.row_name(row) + (f" ({', '.join(values)})" if values else "")
        if example not in examples:
            examples.append(example)
    count = len(shown)
    listed = ", ".join(examples[:EXAMPLES])
    more = f" and {len(examples) - EXAMPLES} more" if len(examples) > EXAMPLES else ""
    return f"{count} row{'s' if count != 1 else ''}: {listed}{more}"


def _short(value: Any) -> str:
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        value = value.item()
    text = repr(value)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def _table_criterion(rule: Rule, results: Sequence[ExpectationValidationResult]) -> Criterion:
    failed = [result for result in results if not result.success]
    missing = {column for result in failed for column in _missing_columns(result)}
    problems = [f"missing columns: {', '.join(sorted(missing))}"] if missing else []
    # The type check of a missing column fails too; the missing column says it already.
    problems += [
        _table_problem(result)
        for result in failed
        if not _missing_columns(result) and _column(result) not in missing
    ]
    passed = bool(results) and not failed
    return Criterion(
        rule.label, passed, len(results) - len(failed), len(results), "; ".join(problems)
    )


def _column(result: ExpectationValidationResult) -> str | None:
    column = result.expectation_config.kwargs.get("column") if result.expectation_config else None
    return str(column) if column else None


def _missing_columns(result: ExpectationValidationResult) -> list[str]:
    details = (result.result or {}).get("details") or {}
    return [str(column) for column in (details.get("mismatched") or {}).get("missing") or []]


def _table_problem(result: ExpectationValidationResult) -> str:
    error = _error(result)
    if error:
        return error
    config = result.expectation_config
    outcome = result.result or {}
    column = _column(result)
    if config is not None and config.type == "expect_table_row_count_to_be_between":
        return f"{outcome.get('observed_value')} rows"
    if "observed_value" in outcome:
        return f"{column} is {outcome['observed_value']}, expected {_wanted(result)}"
    return f"{column}: {outcome.get('unexpected_count', '?')} values of another type"


def _wanted(result: ExpectationValidationResult) -> str:
    kwargs = result.expectation_config.kwargs if result.expectation_config else {}
    types = kwargs.get("type_list") or [kwargs.get("type_")]
    return " or ".join(str(t) for t in types)
