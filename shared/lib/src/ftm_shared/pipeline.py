"""The quarter's pipeline, defined once: its stages in order, their exit codes, the failure policy.

The local run (`ftm_ops.quarter.local`, behind `ftm quarter run` and `make smoke`) runs these
stages in this order, as the processes they are in AWS; the state machine
(`terraform/modules/stepfunctions/definition.asl.json`) is generated from them
(`python -m ftm_ops.quarter.state_machine`), and a test checks the two agree. Both read a
stage's exit code the same way: 0 lets the next stage run, anything else stops the quarter.
A firm that fails is an entry in the failures manifest, not a failed stage: `collect` judges
the quarter's failed share against the policy and exits `EXIT_POLICY_FAILED` above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

EXIT_OK = 0
# The project's own input errors (`error: ...`, see `ftm_shared.cli_support.run_cli`).
EXIT_INPUT_ERROR = 2
# The stage ran, but its result fails the pipeline: more firms failed than the policy
# tolerates (map), or a theme could not be named (reduce). The next stage must not run.
EXIT_POLICY_FAILED = 3


@dataclass(frozen=True)
class Stage:
    """One stage: the service that runs it, its command, and its states in the state machine."""

    name: str
    service: str
    """The service's command (`map-worker`); `python -m map_worker` and the image run the same."""
    args: tuple[str, ...]
    """Its arguments; `{name}` is filled from the quarter's values (see `STAGE_VALUES`)."""
    state: str
    on_failure: str
    """The state the state machine goes to when the stage's job fails."""
    job_definition: str
    """The batch module's job definition (and image) the stage runs on in AWS."""
    shard_args: tuple[str, ...] = ()
    """Added in AWS, where each of the plan's shards is its own job; here one process runs
    every shard of the plan on one Ray node."""
    vcpu: int | None = None
    memory_mib: int | None = None
    """A smaller Fargate size than the job definition's (None: the job definition's)."""
    environment: tuple[tuple[str, str], ...] = ()
    """(variable, value) pairs: in AWS the job gets the execution's value as this setting's
    environment variable; here the stage's process inherits the operator's own setting."""

    @property
    def module(self) -> str:
        return self.service.replace("-", "_")

    def command(self, values: dict[str, str], *, shard: bool = False) -> list[str]:
        args = (*self.args, *self.shard_args) if shard else self.args
        return [arg.format(**values) for arg in args]

    def placeholders(self, *, shard: bool = False) -> set[str]:
        args = (*self.args, *self.shard_args) if shard else self.args
        return {arg[1:-1] for arg in args if arg.startswith("{") and arg.endswith("}")}


_WHERE = ("--quarter", "{quarter}", "--bucket", "{bucket}")
STAGES: tuple[Stage, ...] = (
    Stage(
        "plan",
        "map-worker",
        ("plan", *_WHERE, "--execution", "{execution}", "--new-run", "{new_run}"),
        state="Plan",
        on_failure="PlanFailed",
        job_definition="map",
        vcpu=1,
        memory_mib=4096,
        # The plan sizes the shards in flight to the fleet the operator started.
        environment=(("VLLM_INSTANCES", "vllm_instances"),),
    ),
    Stage(
        "map",
        "map-worker",
        ("run", *_WHERE, "--run-id", "{run_id}"),
        state="MapShards",
        # A shard that fails loses its firms; collect counts them and judges the quarter.
        on_failure="Collect",
        job_definition="map",
        shard_args=("--shard", "{shard}"),
    ),
    Stage(
        "collect",
        "map-worker",
        ("collect", *_WHERE, "--run-id", "{run_id}"),
        state="Collect",
        on_failure="TooManyFirmsFailed",
        job_definition="map",
        vcpu=1,
        memory_mib=2048,
    ),
    Stage(
        "reduce",
        "reduce-worker",
        ("run", *_WHERE, "--run-id", "{run_id}"),
        state="Reduce",
        on_failure="ReduceFailed",
        job_definition="reduce",
    ),
)
STAGE_VALUES = {
    "quarter": "the quarter (input)",
    "bucket": "the bucket (input)",
    "execution": "the execution's name: the plan records which run it planned under it",
    "new_run": "'true' starts a new run even where one with the same inputs and settings exists",
    "run_id": "the run the plan chose (from the execution's record)",
    "shard": "one of the plan's shards",
    "vllm_instances": "the vLLM instances the operator started for the run (default 1)",
}


def stage(name: str) -> Stage:
    return next(s for s in STAGES if s.name == name)


def lets_next_stage_run(exit_code: int) -> bool:
    return exit_code == EXIT_OK


class PipelineSettings(BaseModel):
    """The pipeline's own settings; mixed into the settings of whoever applies them."""

    pipeline_tolerated_failure_pct: float = Field(
        5.0,
        ge=0,
        le=100,
        description="Share of a quarter's firms (percent) that may fail, each listed in the "
        "failures manifest, before the quarter fails instead of reducing the rest "
        "(PIPELINE_TOLERATED_FAILURE_PCT)",
    )
    map_shard_firms: int = Field(
        200,
        ge=1,
        description="Firms per shard of the map stage: each shard is one job with its own "
        "checkpoint (MAP_SHARD_FIRMS)",
    )
    vllm_instances: int = Field(
        1, ge=1, le=64, description="vLLM instances serving the run (VLLM_INSTANCES)"
    )
    vllm_concurrency_per_instance: int = Field(
        32,
        ge=1,
        description="Requests one vLLM instance serves at once at full throughput; shards in "
        "flight x LLM_MAX_CONCURRENT is matched to instances x this "
        "(VLLM_CONCURRENCY_PER_INSTANCE)",
    )

    def shards_in_flight(self, shards: int, llm_max_concurrent: int) -> int:
        """As many shards at once as keep the fleet's slots full, at least one."""
        fleet = self.vllm_instances * self.vllm_concurrency_per_instance
        return max(1, min(shards, fleet // llm_max_concurrent))


@dataclass(frozen=True)
class Verdict:
    """What the policy says about one quarter's failures."""

    total: int
    failed: int
    tolerated_pct: float
    manifest: str

    @property
    def failed_pct(self) -> float:
        return 100.0 * self.failed / self.total if self.total else 100.0

    @property
    def passed(self) -> bool:
        # Compared in integers: 1 of 20 is exactly 5% and must pass at 5%.
        return self.total > 0 and self.failed * 100 <= self.tolerated_pct * self.total

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.passed else EXIT_POLICY_FAILED

    def message(self) -> str:
        share = (
            f"{self.failed} of {self.total} firm(s) failed ({self.failed_pct:.1f}%, "
            f"tolerated {self.tolerated_pct:g}% by PIPELINE_TOLERATED_FAILURE_PCT)"
        )
        if not self.passed:
            return f"{share}: the quarter stops here; failures manifest: {self.manifest}"
        if self.failed:
            return f"{share}: the next stage runs on the rest; failures manifest: {self.manifest}"
        return f"{share}; failures manifest: {self.manifest}"


@dataclass(frozen=True)
class FailurePolicy:
    """A firm that fails is an entry in the failures manifest, not a failed pipeline, while the
    failed share stays within `tolerated_pct`; above it, the quarter fails naming the manifest."""

    tolerated_pct: float = 5.0

    @classmethod
    def from_settings(cls, settings: PipelineSettings) -> FailurePolicy:
        return cls(settings.pipeline_tolerated_failure_pct)

    def judge(self, total: int, failed: int, manifest: str) -> Verdict:
        return Verdict(total, failed, self.tolerated_pct, manifest)

    def tolerated_firms(self, total: int) -> int:
        """The most failed firms of `total` that still pass (the verdict's own comparison)."""
        # Passing is monotone in the failed count: count the counts that pass.
        return sum(1 for failed in range(1, total + 1) if self.judge(total, failed, "").passed)

    def shards_the_map_may_lose(self, shard_firms: Sequence[int]) -> int:
        """How many shard jobs may fail for good before the map stops starting the rest.

        The policy is per firm, and a shard that fails for good keeps the firms its checkpoint
        holds, so it loses between one firm and all of its own. The map only knows that a
        shard failed, so it stops only when the quarter must fail whatever each failed shard
        kept: more failed shards than tolerated firms. Below that, collect counts the firms
        and judges; the map never fails a quarter the firm policy would accept, nor leaves
        shards unstarted that would then count as failed firms.
        """
        return min(len(shard_firms), self.tolerated_firms(sum(shard_firms)))
