"""The quarter's pipeline, defined once: its stages in order, their exit codes, the failure policy.

The local run (`ftm smoke`) runs these stages in this order, as the processes they are in AWS;
the state machine (`terraform/modules/stepfunctions/definition.asl.json`) is checked against
them by `terraform/tests/test_state_machine.py`. Both read a stage's exit code the same way:
0 lets the next stage run, anything else stops the quarter. So a stage that tolerates some
failures (map: a firm that fails is an entry in the failures manifest) exits 0 while the policy
allows them, and `EXIT_POLICY_FAILED` once it does not.
"""

from __future__ import annotations

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
    """Its arguments; `{name}` is filled from the quarter's values (`StageValues`)."""
    state: str
    failed_state: str

    @property
    def module(self) -> str:
        return self.service.replace("-", "_")

    def command(self, values: dict[str, str]) -> list[str]:
        return [arg.format(**values) for arg in self.args]

    def placeholders(self) -> set[str]:
        return {arg[1:-1] for arg in self.args if arg.startswith("{") and arg.endswith("}")}


STAGES: tuple[Stage, ...] = (
    Stage(
        "map",
        "map-worker",
        ("run", "--quarter", "{quarter}", "--bucket", "{bucket}", "--batch-id", "{batch_id}"),
        state="RunMap",
        failed_state="MapFailed",
    ),
    Stage(
        "reduce",
        "reduce-worker",
        ("run", "--quarter", "{quarter}", "--bucket", "{bucket}"),
        state="RunReduce",
        failed_state="ReduceFailed",
    ),
)


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
