"""How long a quarter takes on AWS and what its GPUs cost, from measured per-firm rates and the
fleet's settings: what `bench` prints, the table in docs/benchmarks.md, and what
`ftm cloud smoke` and `ftm cloud deploy --dry-run` show (and ask about) before anything scales up.

The map stage runs two kinds of work at once: embedding and topic fitting on the shard jobs'
CPUs, and naming on the vLLM fleet, which starts on a firm as soon as its topics exist.
So its time is the longer of the two, plus start-up:

- naming: requests (firms x topics per firm x requests per topic) x the latency of one
  request / requests in flight, where requests in flight = min(shards in flight x
  LLM_MAX_CONCURRENT, instances x VLLM_CONCURRENCY_PER_INSTANCE): it falls in proportion to
  the fleet while the shards in flight can fill it;
- CPU: firms x CPU seconds per firm / the vCPUs of the shards in flight, capped by the Batch
  compute environment's vCPUs, plus one worker start-up (model load, first fit) per wave of
  shard jobs: it does not fall with GPUs. The per-firm rate is the steady state (each
  worker's first firm left out; `nox -s bench` measures both, `ftm_ops.quarter.rates`).

The fleet size where naming drops below the CPU time is where adding GPUs stops helping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import ClientError
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ftm_shared.errors import InputError
from ftm_shared.plan import read_inputs
from ftm_shared.storage import ObjectStore


class ProjectionSettings(BaseSettings):
    """The fleet and the measured rates a projection uses; every one a setting."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    projection_firms: int = Field(
        3500, ge=1, description="Firms of the projected quarter (PROJECTION_FIRMS)"
    )
    vllm_instances: int = Field(1, ge=1, description="GPU instances of the run (VLLM_INSTANCES)")
    map_shard_firms: int = Field(200, ge=1, description="Firms per shard (MAP_SHARD_FIRMS)")
    llm_max_concurrent: int = Field(10, ge=1, description="Requests in flight per shard job")
    vllm_concurrency_per_instance: int = Field(
        32, ge=1, description="Requests one vLLM instance serves at once (see PipelineSettings)"
    )
    vllm_request_latency_s: float = Field(
        3.5,
        gt=0,
        description="Seconds one naming request (~300 tokens in, ~60 out) takes on vLLM at 32 "
        "in flight (VLLM_REQUEST_LATENCY_S): an estimate for Qwen3-8B on an A10G from published "
        "vLLM throughput, derived in docs/benchmarks.md; set it from a cloud smoke's LLM p50",
    )
    gpu_hourly_usd: float = Field(
        1.006, gt=0, description="Hourly price of one GPU instance (GPU_HOURLY_USD)"
    )
    batch_max_vcpus: int = Field(
        32,
        ge=1,
        description="vCPUs the Batch compute environment runs at once (the batch module's "
        "max_vcpus, BATCH_MAX_VCPUS here)",
    )
    map_job_vcpus: int = Field(
        8, ge=1, description="vCPUs of one shard's map job (the batch module's resources.map)"
    )
    startup_minutes: float = Field(
        15.0, ge=0, description="vLLM up and healthy, first jobs started (minutes, GPU billed)"
    )
    # Measured 2026-12-07 by `nox -s bench` (32 MAEC firms, quiet 2-core box): 1.04 CPU s per
    # firm (median 0.92, p90 2.00), 3.2 topics per firm, 29.9 s of start-up per shard job.
    cpu_s_per_firm: float = Field(
        1.0,
        gt=0,
        description="Embedding + topic fitting seconds per firm on one core, steady state "
        "(CPU_S_PER_FIRM; `nox -s bench` measures it, each worker's first firm left out)",
    )
    worker_startup_s: float = Field(
        30.0,
        ge=0,
        description="Seconds a shard job's topic workers take to start: Ray, model load, "
        "first encode, numba's first fit (WORKER_STARTUP_S; `nox -s bench` measures it)",
    )
    topics_per_firm: float = Field(
        3.2, gt=0, description="Topics per firm (TOPICS_PER_FIRM; bench measures it)"
    )
    requests_per_topic: float = Field(
        1.1, ge=1, description="Naming requests per topic, re-asks included"
    )
    cost_confirm_above_usd: float = Field(
        25.0,
        ge=0,
        description="Ask before a run whose projected GPU cost is above this "
        "(COST_CONFIRM_ABOVE_USD)",
    )


@dataclass(frozen=True)
class Projection:
    instances: int
    shards: int
    shards_in_flight: int
    requests_in_flight: int
    naming_h: float
    cpu_h: float
    startup_h: float
    hourly_usd: float
    held_by: str
    """What bounds the shards in flight: the fleet's slots, Batch's vCPUs, or the shard count."""

    @property
    def hours(self) -> float:
        return max(self.naming_h, self.cpu_h) + self.startup_h

    @property
    def gpu_hours(self) -> float:
        return self.instances * self.hours

    @property
    def cost_usd(self) -> float:
        return self.gpu_hours * self.hourly_usd

    @property
    def limit(self) -> str:
        if self.cpu_h > self.naming_h:
            return "embedding + topics (CPUs)"
        if self.held_by == "fleet":
            return "naming (GPUs)"
        return f"naming, shards in flight held by {self.held_by}"


def project(settings: ProjectionSettings, instances: int, firms: int | None = None) -> Projection:
    firms = firms or settings.projection_firms
    shards = -(-firms // settings.map_shard_firms)
    slots = instances * settings.vllm_concurrency_per_instance
    bounds = {
        "fleet": max(1, slots // settings.llm_max_concurrent),
        "Batch vCPUs": max(1, settings.batch_max_vcpus // settings.map_job_vcpus),
        "the shard count": shards,
    }
    held_by = min(bounds, key=lambda name: bounds[name])
    in_flight = bounds[held_by]
    requests_in_flight = min(in_flight * settings.llm_max_concurrent, slots)
    requests = firms * settings.topics_per_firm * settings.requests_per_topic
    naming_s = requests * settings.vllm_request_latency_s / requests_in_flight
    waves = -(-shards // in_flight)
    cpu_s = (
        firms * settings.cpu_s_per_firm / (in_flight * settings.map_job_vcpus)
        + waves * settings.worker_startup_s
    )
    return Projection(
        instances=instances,
        shards=shards,
        shards_in_flight=in_flight,
        requests_in_flight=requests_in_flight,
        naming_h=naming_s / 3600,
        cpu_h=cpu_s / 3600,
        startup_h=settings.startup_minutes / 60,
        hourly_usd=settings.gpu_hourly_usd,
        held_by=held_by,
    )


def vcpus_to_keep_up(settings: ProjectionSettings, instances: int) -> int:
    """Batch vCPUs that keep `instances` GPUs busy: enough shard jobs in flight to fill the
    fleet's slots, and enough cores to find topics as fast as the fleet names them."""
    slots = instances * settings.vllm_concurrency_per_instance
    filling = -(-slots // settings.llm_max_concurrent) * settings.map_job_vcpus
    firms_per_s = slots / (
        settings.vllm_request_latency_s * settings.topics_per_firm * settings.requests_per_topic
    )
    return max(filling, math.ceil(firms_per_s * settings.cpu_s_per_firm))


def table(settings: ProjectionSettings, fleets: tuple[int, ...] = (1, 2, 4, 8)) -> str:
    """The projection for each fleet size, as a Markdown table (docs/benchmarks.md's)."""
    lines = [
        f"| GPUs | shards in flight | requests in flight | naming h | embed+topics h | "
        f"wall h | GPU h | cost (${settings.gpu_hourly_usd:g}/h) | limit | "
        "Batch vCPUs to keep the GPUs busy |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for instances in fleets:
        p = project(settings, instances)
        lines.append(
            f"| {instances} | {p.shards_in_flight}/{p.shards} | {p.requests_in_flight} | "
            f"{p.naming_h:.2f} | {p.cpu_h:.2f} | {p.hours:.2f} | {p.gpu_hours:.1f} | "
            f"${p.cost_usd:.0f} | {p.limit} | {vcpus_to_keep_up(settings, instances)} |"
        )
    return "\n".join(lines)


def crossover(settings: ProjectionSettings, most: int = 64) -> int | None:
    """The smallest fleet at which more GPUs stop helping: embedding and topic fitting, or the
    shards Batch can run at once, set the pace, not naming."""
    return next(
        (n for n in range(1, most + 1) if project(settings, n).limit != "naming (GPUs)"), None
    )


def describe(p: Projection, firms: int) -> str:
    return (
        f"projected: {firms} firms in {p.shards} shard(s), {p.shards_in_flight} in flight, "
        f"{p.requests_in_flight} requests in flight on {p.instances} GPU instance(s): "
        f"~{p.hours:.1f} h ({p.limit} the limit), {p.gpu_hours:.1f} GPU h, "
        f"~${p.cost_usd:.2f}"
    )


def quarter_firms(
    store: ObjectStore, quarter: str, settings: ProjectionSettings
) -> tuple[int, str]:
    """The quarter's firm count from its raw transcripts in the bucket (as the plan will count
    them), else PROJECTION_FIRMS, and where the number came from."""
    try:
        firms = len(read_inputs(store, quarter).firm_rows)
    except (InputError, ClientError) as unknown:
        return settings.projection_firms, f"PROJECTION_FIRMS ({unknown})"
    return firms, f"the raw transcripts of {quarter} in {store.uri('')}"


def approved(
    settings: ProjectionSettings,
    firms: int,
    echo: Callable[[str], None],
    confirm: Callable[[str], bool],
) -> bool:
    """Print the projection; above COST_CONFIRM_ABOVE_USD ask before anything scales up."""
    projected = project(settings, settings.vllm_instances, firms)
    echo(describe(projected, firms))
    if projected.cost_usd <= settings.cost_confirm_above_usd:
        return True
    return confirm(
        f"The projected GPU cost, ${projected.cost_usd:.2f}, is above "
        f"COST_CONFIRM_ABOVE_USD (${settings.cost_confirm_above_usd:g}). Go on?"
    )
