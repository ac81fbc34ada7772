"""The Great Expectations file project: stage the views, save suites, validation definitions
and the checkpoint from code, run it, and let it write the data docs.

Why the views are staged as Parquet files rather than passed as in-memory dataframes: a
checkpoint hands the same `batch_parameters` to every validation definition, so
`checkpoint.run(batch_parameters={"dataframe": df})` can feed only one dataframe to all the
suites. A file per data set (under `uncommitted/staged/{quarter}/`, beside the results) lets
one checkpoint validate every suite in one run and one data docs update, and keeps the exact
rows that were validated next to the report about them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import pandas as pd

from ftm_expectations.config import quiet_great_expectations
from ftm_expectations.results import CRITERION_META
from ftm_expectations.suites import Suite

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.data_context.store import Store

CHECKPOINT = "ftm_outputs"
DATA_SOURCE = "ftm_staged"


@dataclass(frozen=True)
class CheckpointRun:
    results: dict[str, list[ExpectationValidationResult]]
    """Per suite name, the results of its expectations."""
    data_docs: Path | None


def run_checkpoint(
    root: Path, quarter: str, staged: list[tuple[Suite, pd.DataFrame]]
) -> CheckpointRun:
    """Validate each (suite, view) pair in one checkpoint run under the project at `root`."""
    quiet_great_expectations()
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", context_root_dir=root.resolve())
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()

    stage = root.resolve() / "uncommitted" / "staged"
    shutil.rmtree(stage / quarter, ignore_errors=True)  # a data set missing now was there before
    (stage / quarter).mkdir(parents=True)
    for suite, view in staged:
        view.to_parquet(stage / quarter / f"{suite.name}.parquet", index=False)

    # Rebuilt every run, like the suites: what the code says is what runs.
    _forget_previous_run(context)
    if DATA_SOURCE in context.data_sources.all():
        context.data_sources.delete(DATA_SOURCE)
    source = context.data_sources.add_pandas_filesystem(DATA_SOURCE, base_directory=stage)
    definitions = []
    for suite, _ in staged:
        batch = source.add_parquet_asset(suite.name).add_batch_definition_path(
            suite.name, f"{quarter}/{suite.name}.parquet"
        )
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(
                    name=suite.name,
                    data=batch,
                    suite=context.suites.add_or_update(_gx_suite(suite)),
                )
            )
        )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=CHECKPOINT,
            validation_definitions=definitions,
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            # COMPLETE: every failing row's index, so the checklist can name them all.
            result_format="COMPLETE",
        )
    )
    outcome = checkpoint.run(run_id=RunIdentifier(run_name=quarter))
    results = {
        suite_result.suite_name: list(suite_result.results)
        for suite_result in outcome.run_results.values()
    }
    return CheckpointRun(results, _index_page(context.get_docs_sites_urls()))


def _forget_previous_run(context: AbstractDataContext) -> None:
    """Drop the saved checkpoint and validation definitions by key, without loading them: a
    saved one naming an asset that is gone (a data set missing this time) fails to load."""
    stores: list[Store] = [context.checkpoint_store, context.validation_definition_store]
    for store in stores:
        for key in store.list_keys():
            store.remove_key(key)  # type: ignore[no-untyped-call]


def _gx_suite(suite: Suite) -> ExpectationSuite:
    import great_expectations as gx

    expectations = []
    for rule in suite.rules:
        for expectation in rule.expectations:
            expectation.meta = {**(expectation.meta or {}), CRITERION_META: rule.label}
            expectation.notes = f"ftm checklist: {rule.label}"
            expectations.append(expectation)
    # Built whole, then saved once: adding expectations one by one to a suite the store
    # already knows writes the suite file again for each of them.
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)


def _index_page(sites: list[dict[str, str | None]]) -> Path | None:
    for site in sites:
        url = site.get("site_url")
        if url and url.startswith("file://"):
            return Path(unquote(urlparse(url).path))
    return None
