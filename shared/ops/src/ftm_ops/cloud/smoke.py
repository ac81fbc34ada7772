"""`ftm cloud smoke`: the runbook, automated, and never leaving GPUs running.

Verify the account; print the quarters' projected hours and GPU cost and, above
COST_CONFIRM_ABOVE_USD, ask (`--yes` does not); scale the vLLM ASG and ECS service up once;
wait for a stable service and a healthy `/health`; for each quarter in calendar order, run the
pipeline's Step Functions execution and follow it, starting the next quarter's only after
this one passed (one quarter at a time keeps the shards in flight at the fleet's size); check
each run (the execution SUCCEEDED, vLLM's log shows the
chat completions it served, the jobs' waits on vLLM are printed) and validate the outputs
with the same checklist as `make smoke`. Whatever happens (failure, timeout, Ctrl-C,
SIGTERM, SIGHUP) the `finally` stops an execution still running and scales back to zero,
shielded from further signals, then prints the GPU time used and its estimated cost, and
records it in the manifest of the run the execution planned, with the GPU hosts vLLM served
from (instance type and AMI: the GPU AMI is resolved at deploy, so it floats).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError

from ftm_ops.cloud.clock import Poller
from ftm_ops.cloud.cost import GpuUsage
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.execution import Outcome, PipelineExecution
from ftm_ops.cloud.fleet import VllmFleet
from ftm_ops.cloud.health import HealthProbe, HttpHealth, TargetGroupHealth
from ftm_ops.cloud.hosts import describe as describe_hosts
from ftm_ops.cloud.hosts import gpu_hosts
from ftm_ops.cloud.identity import cloud_client, verify_account
from ftm_ops.cloud.run_logs import CHAT_COMPLETIONS, LogWindow
from ftm_ops.cloud.settings import SmokeSettings
from ftm_ops.cloud.signals import StopSignals
from ftm_ops.quarter.projection import approved, quarter_firms
from ftm_ops.validate import expectations_checklist
from ftm_shared import runs
from ftm_shared.checklist import Checklist, Criterion
from ftm_shared.config import FtmSettings
from ftm_shared.storage import ObjectStore

Validator = Callable[[FtmSettings, str], Checklist]


def default_probe(settings: SmokeSettings) -> HealthProbe:
    if settings.vllm_health_url:
        return HttpHealth(settings.vllm_health_url)
    return TargetGroupHealth(cloud_client("elbv2", settings), settings.vllm_target_group_arn)


@dataclass
class CloudSmoke:
    settings: SmokeSettings
    quarters: list[str]
    echo: Callable[[str], None]
    probe: HealthProbe
    validate: Validator
    poller: Poller
    confirm: Callable[[str], bool] = click.confirm

    def __post_init__(self) -> None:
        client: Callable[[str], Any] = lambda service: cloud_client(service, self.settings)  # noqa: E731
        self.fleet = VllmFleet(client("autoscaling"), client("ecs"), self.settings)
        self.stepfunctions = client("stepfunctions")
        self.execution = PipelineExecution(self.stepfunctions)
        self.executions: list[tuple[str, PipelineExecution]] = []
        self.logs = client("logs")
        self.ec2 = client("ec2")
        self.hosts: list[dict[str, str]] = []
        self.usage = GpuUsage(
            self.settings.vllm_instances,
            self.settings.gpu_instance_type,
            self.settings.gpu_hourly_usd,
            now=self.poller.now,
        )

    def run(self) -> None:
        self.echo("== AWS identity")
        self.echo(verify_account(self.settings).describe())
        signals = StopSignals(self.echo)
        with signals.installed():
            try:
                self._run()
            finally:
                with signals.shield():
                    problems = self._wind_down()
                    self.echo(self.usage.summary())
                    self._record_gpu_time()
                if problems and sys.exc_info()[0] is None:
                    raise CloudError("; ".join(problems))

    def _store(self) -> ObjectStore:
        return ObjectStore(self.settings.storage_url, s3_client=cloud_client("s3", self.settings))

    def _cost_approved(self) -> bool:
        """The quarters' projected hours and GPU cost, before anything scales up."""
        self.echo("\n== projected cost")
        projection = self.settings.projection()
        firms = 0
        for quarter in self.quarters:
            found, source = quarter_firms(self._store(), quarter, projection)
            self.echo(f"{quarter}: {found} firms, from {source}")
            firms += found
        return approved(projection, firms, self.echo, self.confirm)

    def _record_gpu_time(self) -> None:
        """The fleet's GPU time goes into the manifest of each run an execution planned; one
        fleet served them all, so each records the whole and the quarters that shared it."""
        usage = {
            "minutes": round(self.usage.gpu_minutes, 2),
            "cost_usd": self.usage.cost_usd,
            "hosts": self.hosts,
            "quarters": [quarter for quarter, _execution in self.executions],
        }
        for quarter, execution in self.executions:
            name = str(execution.arn).rsplit(":", 1)[-1]
            try:
                run_id = runs.record_gpu_time(self._store(), quarter, name, usage)
            except Exception as error:  # the wind-down is done; a report must not hide it
                self.echo(f"note: GPU time not recorded in {quarter}'s run manifest: {error}")
                continue
            if run_id:
                self.echo(f"GPU time and hosts recorded in run {run_id}'s manifest ({quarter})")

    def _note_hosts(self) -> None:
        """The instances vLLM serves from, their AMI included (it floats), for the manifest."""
        try:
            self.hosts = gpu_hosts(self.fleet.autoscaling, self.ec2, self.settings.vllm_asg_name)
        except (BotoCoreError, ClientError) as error:  # a record: no reason to stop the run
            self.echo(f"note: the GPU hosts could not be described: {error}")
            return
        self.echo(f"GPU hosts: {describe_hosts(self.hosts)}")

    def _run(self) -> None:
        settings, count = self.settings, self.settings.vllm_instances
        if not self._cost_approved():
            raise CloudError("cloud smoke not started: the projected cost was declined")
        self.fleet.check_capacity(count)
        self.echo(f"\n== vLLM up: {count} x {settings.gpu_instance_type}")
        self.usage.start()
        self.fleet.scale(count)
        self.fleet.wait_stable(self.poller)

        def healthy() -> tuple[bool | None, str]:
            ok, status = self.probe()
            return (True if ok else None), status

        self.poller.until("vLLM /health", healthy, settings.smoke_ready_timeout_s)
        self._note_hosts()
        for number, quarter in enumerate(self.quarters, start=1):
            if len(self.quarters) > 1:
                self.echo(f"\n== quarter {number}/{len(self.quarters)}: {quarter}")
            try:
                self._quarter(quarter)
            except CloudError as error:
                if len(self.quarters) == 1:
                    raise
                left = ", ".join(self.quarters[number:]) or "none"
                raise CloudError(f"{quarter}: {error} (not started: {left})") from None
        self.echo(f"\ncloud smoke passed for {', '.join(self.quarters)}")

    def _quarter(self, quarter: str) -> None:
        """One quarter's execution, followed to its end, checked and validated."""
        settings = self.settings
        self.echo(f"\n== pipeline: {quarter} in s3://{settings.s3_bucket}")
        self.execution = PipelineExecution(self.stepfunctions)
        arn = self.execution.start(
            settings.state_machine_arn, quarter, settings.s3_bucket, settings.vllm_instances
        )
        self.executions.append((quarter, self.execution))
        self.echo(f"execution {arn}")
        outcome = self.execution.follow(self.poller, settings.smoke_run_timeout_s)
        run_checks = self._check_run(outcome)
        if not outcome.succeeded:
            self.echo("\n".join(criterion.render() for criterion in run_checks))
            raise CloudError(
                f"the execution ended {outcome.status}: {outcome.error or '?'}"
                f" — {outcome.cause or 'no cause given'}"
            )

        self.echo("\n== validate outputs")
        outputs = self.validate(settings, quarter)
        checklist = Checklist(outputs.quarter, run_checks + outputs.criteria, outputs.data_docs)
        self.echo(checklist.render())
        if not checklist.passed:
            raise CloudError("the run failed validation (see the checklist above)")

    def _check_run(self, outcome: Outcome) -> list[Criterion]:
        """What the seed's checklist asks of the run itself, from the execution and the logs;
        prints the jobs' waits on vLLM (the LLM client's recovery lines) on the way."""
        settings = self.settings
        window = LogWindow(self.logs, outcome.started, outcome.stopped)
        self.echo(f"\n== LLM recovery waits during the execution ({settings.jobs_log_group})")
        self.echo("\n".join(window.recovery_lines(settings.jobs_log_group)) or "none")
        served = window.chat_completions(settings.vllm_log_group)
        return [
            Criterion(
                "Step Functions execution SUCCEEDED", outcome.succeeded, detail=outcome.status
            ),
            Criterion(
                "vLLM served the run",
                served > 0,
                detail=f"{served} x {CHAT_COMPLETIONS} in {settings.vllm_log_group}",
            ),
        ]

    def _wind_down(self) -> list[str]:
        """Best effort, step by step: one failing call must not keep the rest from running."""
        self.echo("\n== wind down")
        problems: list[str] = []
        try:
            if self.execution.stop_if_running("cloud smoke ended before the execution"):
                self.echo(f"stopped execution {self.execution.arn}")
        except Exception as error:
            problems.append(f"could not stop execution {self.execution.arn}: {error}")
        try:
            self.fleet.scale(0)
            self.usage.stop()
            instances, tasks = self.fleet.desired()
            self.echo(f"vLLM scaled to zero (ASG desired {instances}, service desired {tasks})")
        except Exception as error:
            problems.append(
                f"SCALE-DOWN FAILED ({error}): set the desired capacity of ASG "
                f"{self.settings.vllm_asg_name} and the desired count of ECS service "
                f"{self.settings.vllm_service} to 0 by hand — GPU instances bill until then"
            )
        for problem in problems:
            self.echo(f"error: {problem}")
        return problems


def run_cloud_smoke(
    settings: SmokeSettings,
    quarters: list[str],
    *,
    echo: Callable[[str], None],
    probe: HealthProbe | None = None,
    validate: Validator = expectations_checklist,
    poller: Poller | None = None,
    confirm: Callable[[str], bool] = click.confirm,
) -> None:
    CloudSmoke(
        settings,
        quarters,
        echo,
        probe or default_probe(settings),
        validate,
        poller or Poller(echo, settings.smoke_poll_s),
        confirm,
    ).run()
