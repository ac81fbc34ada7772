"""`ftm cloud smoke` against the moto server: scale-up, execution, the run's checks from the
logs, validation, and the scale-down that must happen on success, failure, Ctrl-C and the
other stop signals alike."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from ftm_ops.cloud.clock import Poller
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.health import HttpHealth, TargetGroupHealth
from ftm_ops.cloud.settings import SmokeSettings
from ftm_ops.cloud.signals import Interrupted
from ftm_ops.cloud.smoke import run_cloud_smoke
from ftm_shared.checklist import Checklist, Criterion
from ftm_shared.config import FtmSettings, SettingsError, load_settings

if TYPE_CHECKING:
    from conftest import DeployedStack, FakeAws

pytestmark = pytest.mark.integration
QUARTER = "2017Q1"


def checklist_that(passed: bool) -> Checklist:
    return Checklist(QUARTER, [Criterion("Summary populated", passed, detail="stand-in")])


@dataclass
class Run:
    aws: FakeAws
    stack: DeployedStack
    lines: list[str] = field(default_factory=list)
    validated: list[tuple[int, int]] = field(default_factory=list)
    quarters_validated: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(self.lines)

    def start(
        self,
        *,
        health_url: str,
        checklist: Checklist | None = None,
        sleep: Callable[[float], None] = time.sleep,
        during_validation: Callable[[DeployedStack], None] | None = None,
        on_line: Callable[[str], None] | None = None,
        quarters: tuple[str, ...] = (QUARTER,),
        **overrides: Any,
    ) -> None:
        def validate(settings: FtmSettings, quarter: str) -> Checklist:
            self.validated.append(self.aws.desired(self.stack))
            self.quarters_validated.append(quarter)
            if during_validation:
                during_validation(self.stack)
            return checklist or checklist_that(passed=True)

        def echo(line: str) -> None:
            self.lines.append(line)
            if on_line:
                on_line(line)

        settings = load_settings(SmokeSettings, smoke_poll_s=0.05, **overrides)
        run_cloud_smoke(
            settings,
            list(quarters),
            echo=echo,
            probe=HttpHealth(health_url),
            validate=validate,
            poller=Poller(echo, settings.smoke_poll_s, sleep=sleep),
        )


def serving_job(aws: FakeAws, stack: DeployedStack, executions: int = 1) -> threading.Thread:
    """Stands in for the map job while each execution runs: vLLM logs the requests it serves,
    the job logs one wait on vLLM."""

    def work() -> None:
        for n in range(1, executions + 1):
            deadline = time.monotonic() + 120
            while (
                sum(e["status"] == "RUNNING" for e in aws.executions(stack)) < 1
                or len(aws.executions(stack)) < n
            ):
                assert time.monotonic() < deadline, f"execution {n} did not start"
                time.sleep(0.05)
            line = aws.vllm_request_line
            aws.log(stack.vllm_log_group, f"vllm/vllm/task-{n}", line, line)
            aws.log(
                stack.jobs_log_group,
                f"map/default/job-{n}",
                "vLLM unhealthy, waiting... (30s / 600s)",
                "map-worker: 12/25 firms",
                "vLLM recovered after 31.0s",
            )

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_success_checks_the_run_validates_and_scales_to_zero(aws: FakeAws, health_url: str) -> None:
    run = Run(aws, aws.deploy("a_few_seconds"))
    job = serving_job(aws, run.stack)
    run.start(health_url=health_url)
    job.join()
    # Scaled up while it mattered, resolved from the SSM handles terraform writes...
    assert run.validated == [(1, 1)]
    # ...and back to zero afterwards.
    assert aws.desired(run.stack) == (0, 0)
    [execution] = aws.executions(run.stack)
    assert execution["status"] == "SUCCEEDED"
    assert execution["name"].startswith(f"smoke-{QUARTER}-")
    started = aws.cloud.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]
    )
    # The plan job sizes the shards in flight to the fleet that was scaled up.
    assert json.loads(started["input"])["vllm_instances"] == "1"
    text = run.output()
    assert "✓ Step Functions execution SUCCEEDED: SUCCEEDED" in text
    assert f"✓ vLLM served the run: 2 x POST /v1/chat/completions in {run.stack.vllm_log_group}"
    assert "✓ Summary populated: stand-in" in text
    # The recovery wait is printed, its lines only, in order, with the job's log stream.
    waits = text.split("== LLM recovery waits during the execution")[1].splitlines()[1:3]
    assert waits == [
        "map/default/job-1: vLLM unhealthy, waiting... (30s / 600s)",
        "map/default/job-1: vLLM recovered after 31.0s",
    ]
    assert "cloud smoke passed for 2017Q1" in text
    assert "vLLM /health: " in text and "HTTP 200" in text
    assert re.search(r"GPU time: [\d.]+ instance-minutes of g5.xlarge .* estimated cost \$", text)


def test_a_run_vllm_never_served_fails(aws: FakeAws, health_url: str) -> None:
    run = Run(aws, aws.deploy("pass"))
    with pytest.raises(CloudError, match="failed validation"):
        run.start(health_url=health_url)
    text = run.output()
    assert "✗ vLLM served the run: 0 x POST /v1/chat/completions" in text
    assert "== LLM recovery waits during the execution" in text and "\nnone\n" in text
    assert aws.desired(run.stack) == (0, 0)


def test_failed_execution_reports_the_cause_and_scales_to_zero(
    aws: FakeAws, health_url: str
) -> None:
    run = Run(aws, aws.deploy("fail"))
    with pytest.raises(CloudError, match="FAILED: MapFailed") as failed:
        run.start(health_url=health_url)
    assert "failures manifest: s3://" in str(failed.value)
    assert "✗ Step Functions execution SUCCEEDED: FAILED" in run.output()
    assert run.validated == []
    assert aws.desired(run.stack) == (0, 0)
    assert "GPU time:" in run.output()


def test_ctrl_c_stops_the_execution_and_scales_to_zero(aws: FakeAws, health_url: str) -> None:
    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    # moto's service is stable and /health answers at once: the first sleep is while the
    # (600 s Wait) execution runs.
    run = Run(aws, aws.deploy("slow"))
    with pytest.raises(KeyboardInterrupt):
        run.start(health_url=health_url, sleep=interrupt)
    assert aws.desired(run.stack) == (0, 0)
    [execution] = aws.executions(run.stack)
    assert execution["status"] == "ABORTED"
    assert "stopped execution" in run.output()


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_a_stop_signal_winds_down_and_a_second_one_cannot_cut_it_short(
    aws: FakeAws, health_url: str, signum: int
) -> None:
    def signal_self(_seconds: float) -> None:
        os.kill(os.getpid(), signum)

    def signal_again(line: str) -> None:
        if line == "\n== wind down":
            os.kill(os.getpid(), signal.SIGTERM)  # as nox does right after Ctrl-C

    run = Run(aws, aws.deploy("slow"))
    previous = signal.getsignal(signum)
    with pytest.raises(Interrupted) as stopped:
        run.start(health_url=health_url, sleep=signal_self, on_line=signal_again)
    assert stopped.value.exit_code == 128 + signum
    assert aws.desired(run.stack) == (0, 0)
    assert [e["status"] for e in aws.executions(run.stack)] == ["ABORTED"]
    text = run.output()
    assert "SIGTERM received: still scaling to zero" in text
    assert "vLLM scaled to zero (ASG desired 0, service desired 0)" in text
    assert signal.getsignal(signum) == previous  # the handlers are put back


def test_unhealthy_vllm_times_out_without_starting_the_pipeline(
    aws: FakeAws, unhealthy_url: str
) -> None:
    run = Run(aws, aws.deploy("pass"))
    with pytest.raises(CloudError, match=r"vLLM /health: not done after .*HTTP 503"):
        run.start(health_url=unhealthy_url, smoke_ready_timeout_s=0.3)
    assert aws.executions(run.stack) == []
    assert aws.desired(run.stack) == (0, 0)


def test_failed_validation_fails_the_run(aws: FakeAws, health_url: str) -> None:
    run = Run(aws, aws.deploy("a_few_seconds"))
    serving_job(aws, run.stack)
    with pytest.raises(CloudError, match="failed validation"):
        run.start(health_url=health_url, checklist=checklist_that(passed=False))
    assert "✗ Summary populated: stand-in" in run.output()
    assert aws.desired(run.stack) == (0, 0)


def test_a_failed_scale_down_is_loud(aws: FakeAws, health_url: str) -> None:
    def lose_the_group(stack: DeployedStack) -> None:
        aws.cloud.client("autoscaling").delete_auto_scaling_group(
            AutoScalingGroupName=stack.asg, ForceDelete=True
        )

    run = Run(aws, aws.deploy("a_few_seconds"))
    serving_job(aws, run.stack)
    with pytest.raises(CloudError, match="SCALE-DOWN FAILED") as failed:
        run.start(health_url=health_url, during_validation=lose_the_group)
    assert "to 0 by hand" in str(failed.value)


def test_more_instances_than_the_group_allows_stops_before_scaling(
    aws: FakeAws, health_url: str
) -> None:
    run = Run(aws, aws.deploy("pass", max_instances=2))
    with pytest.raises(CloudError, match=r"VLLM_INSTANCES=3 is above .* maximum of 2"):
        run.start(health_url=health_url, vllm_instances=3)
    assert "vLLM up" not in run.output()
    assert aws.executions(run.stack) == []
    assert aws.desired(run.stack) == (0, 0)


def test_timeouts_longer_than_the_lifetime_guard_are_refused(aws: FakeAws) -> None:
    aws.deploy("pass", lifetime_h=2)
    with pytest.raises(SettingsError, match=r"exceed the GPU fleet's lifetime guard \(2 h"):
        load_settings(SmokeSettings, smoke_ready_timeout_s=1800, smoke_run_timeout_s=7200)
    assert load_settings(SmokeSettings, smoke_run_timeout_s=5400).vllm_max_lifetime_h == 2


def test_wrong_account_changes_nothing(
    aws: FakeAws, health_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCOUNT_ID", "999999999999")
    run = Run(aws, aws.deploy("pass"))
    with pytest.raises(CloudError, match="belong to account 1234"):
        run.start(health_url=health_url)
    assert "vLLM up" not in run.output()
    assert aws.executions(run.stack) == []


def test_missing_handle_is_named(aws: FakeAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTM_SSM_PREFIX", f"/empty-{uuid.uuid4().hex[:8]}/")
    with pytest.raises(SettingsError, match="STATE_MACHINE_ARN: missing"):
        load_settings(SmokeSettings)


def test_target_group_health_counts_healthy_targets(aws: FakeAws) -> None:
    stack = aws.deploy("pass")
    probe = TargetGroupHealth(aws.cloud.client("elbv2"), stack.target_group_arn)
    assert probe() == (False, "targets: none registered")
    ec2 = aws.cloud.client("ec2")
    instance = ec2.run_instances(ImageId=aws.moto_ami, MinCount=1, MaxCount=1)["Instances"][0]
    aws.cloud.client("elbv2").register_targets(
        TargetGroupArn=stack.target_group_arn, Targets=[{"Id": instance["InstanceId"]}]
    )
    healthy, status = probe()
    assert healthy, status
    assert status == "targets: 1 healthy"


def test_several_quarters_run_in_order_on_one_fleet(aws: FakeAws, health_url: str) -> None:
    run = Run(aws, aws.deploy("a_few_seconds"))
    job = serving_job(aws, run.stack, executions=2)
    run.start(health_url=health_url, quarters=(QUARTER, "2017Q2"))
    job.join()
    assert run.quarters_validated == [QUARTER, "2017Q2"]
    assert run.validated == [(1, 1), (1, 1)], "scaled up once, for both"
    started = sorted(aws.executions(run.stack), key=lambda e: e["startDate"])
    inputs = [
        json.loads(
            aws.cloud.client("stepfunctions").describe_execution(executionArn=e["executionArn"])[
                "input"
            ]
        )["quarter"]
        for e in started
    ]
    assert inputs == [QUARTER, "2017Q2"]
    text = run.output()
    assert "== quarter 2/2: 2017Q2" in text and "cloud smoke passed for 2017Q1, 2017Q2" in text
    assert aws.desired(run.stack) == (0, 0)


def test_a_failed_quarter_stops_the_rest_and_scales_to_zero(aws: FakeAws, health_url: str) -> None:
    run = Run(aws, aws.deploy("fail"))
    with pytest.raises(CloudError, match=r"2017Q1: .*MapFailed.*not started: 2017Q2, 2017Q3"):
        run.start(health_url=health_url, quarters=(QUARTER, "2017Q2", "2017Q3"))
    assert len(aws.executions(run.stack)) == 1 and run.validated == []
    assert aws.desired(run.stack) == (0, 0)
