"""Rules (checklist lines) and suites (the rules of one data set), plus the shared building
blocks: the columns-and-types rule and the pandas dtypes each contract type loads as."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from ftm_expectations.datasets import DataSet

if TYPE_CHECKING:
    from great_expectations.expectations.expectation import Expectation

# What pandas makes of each Arrow type of the contracts. A string names one type (checked with
# `expect_column_values_to_be_of_type`, which accepts pandas 3's `str` dtype and, on an object
# column, checks value by value); a tuple lists dtypes (`..._to_be_in_type_list`). An integer
# column holding nulls loads as float64, so nullable integers (permno) accept it.
TypeSpec = str | tuple[str, ...] | None
STRING = "str"
DATE = "date"
INTEGER = ("int32", "int64")
NULLABLE_INTEGER = ("int32", "int64", "float64")
FLOAT = ("float32", "float64")
# List columns (keywords, centroid) load as object columns of arrays: no dtype says "list", so
# they are checked for presence here and for non-empty values by the row rules.
LIST = None


def contract_columns(schema: pa.Schema, names: Sequence[str] | None = None) -> dict[str, TypeSpec]:
    """The type each column of a contract's Arrow schema (`ftm_shared.schemas`) must load as.

    Derived, not restated: a change of contract changes the suites with it.
    """
    columns: dict[str, TypeSpec] = {}
    for field in schema:
        if names is not None and field.name not in names:
            continue
        kind = field.type
        if pa.types.is_string(kind):
            columns[field.name] = STRING
        elif pa.types.is_date(kind):
            columns[field.name] = DATE
        elif pa.types.is_integer(kind):
            columns[field.name] = NULLABLE_INTEGER if field.nullable else INTEGER
        elif pa.types.is_floating(kind):
            columns[field.name] = FLOAT
        elif pa.types.is_list(kind):
            columns[field.name] = LIST
        else:
            raise TypeError(f"no pandas type check for {field.name}: {kind}")
    return columns


@dataclass(frozen=True)
class Rule:
    label: str
    expectations: Sequence[Expectation]
    per_row: bool = True
    show: tuple[str, ...] = ()
    """Columns shown beside a failing row's name; by default those its expectations check."""
    needs: tuple[DataSet, ...] = ()
    """Other data sets its derived columns come from: without them the rule is not reported."""


@dataclass(frozen=True)
class Suite:
    data_set: DataSet
    rules: list[Rule]

    @property
    def name(self) -> str:
        return self.data_set.name


def columns_and_types(
    data_set: DataSet,
    columns: Mapping[str, TypeSpec],
    label: str | None = None,
    *,
    require_rows: bool = True,
) -> Rule:
    """The contract's columns are there (others may be added), typed, and there is a row."""
    import great_expectations as gx

    expectations: list[Expectation] = [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False)
    ]
    if require_rows:
        expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    for column, types in columns.items():
        if isinstance(types, str):
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeOfType(column=column, type_=types)
            )
        elif types is not None:
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeInTypeList(
                    column=column, type_list=list(types)
                )
            )
    return Rule(label or f"{data_set.label} columns and types", expectations, per_row=False)


def not_null(*columns: str) -> list[Expectation]:
    import great_expectations as gx

    return [gx.expectations.ExpectColumnValuesToNotBeNull(column=column) for column in columns]


def not_blank(*columns: str) -> list[Expectation]:
    """Present and holding more than whitespace."""
    import great_expectations as gx

    return not_null(*columns) + [
        gx.expectations.ExpectColumnValuesToMatchRegex(column=column, regex=r"\S")
        for column in columns
    ]


def non_empty_lists(*columns: str) -> list[Expectation]:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValueLengthsToBeBetween(column=column, min_value=1)
        for column in columns
    ]


# An item no LLM answer fits is named by its own keyword phrases (`keyword_fallback`): truthful,
# but a run where few names are the LLM's has a broken prompt, model or name check. The 270M
# CPU model names 84% of topics and 50% of themes on 66 firms of 2017Q1
# (docs/theme-quality.md); 30% leaves a 25-firm smoke run's dozen themes room to vary.
MIN_LLM_NAMED = 0.3
KEYWORD_NAMED = "keyword_fallback"


def naming_rule(label: str, named: list[str]) -> Rule:
    """Every row named by the LLM (`naming_method` in `named`) or by its keyword phrases, and
    at least `MIN_LLM_NAMED` of them by the LLM; the checklist names each keyword-named row."""
    import great_expectations as gx

    in_set = gx.expectations.ExpectColumnValuesToBeInSet
    return Rule(
        f"{label} (else by its keywords; LLM at least {MIN_LLM_NAMED:.0%})",
        [
            *not_null("naming_method"),
            in_set(column="naming_method", value_set=[*named, KEYWORD_NAMED]),
            in_set(column="naming_method", value_set=named, mostly=MIN_LLM_NAMED),
        ],
    )
