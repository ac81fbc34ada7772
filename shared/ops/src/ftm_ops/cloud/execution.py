"""One Step Functions execution of the pipeline: start it, follow it, stop it if abandoned."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ftm_ops.cloud.clock import Poller

FINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@dataclass(frozen=True)
class Outcome:
    status: str
    started: datetime
    stopped: datetime
    error: str | None = None
    cause: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


def execution_name(quarter: str) -> str:
    """Also the map job's batch id (the state machine passes it on), so the progress keys of
    every smoke run are distinct and findable."""
    return f"smoke-{quarter}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"


@dataclass
class PipelineExecution:
    sfn: Any
    arn: str | None = None

    def start(self, state_machine_arn: str, quarter: str, bucket: str, vllm_instances: int) -> str:
        """`vllm_instances`: the fleet this run scaled up, which the plan sizes shards to."""
        started = self.sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=execution_name(quarter),
            input=json.dumps(
                {"quarter": quarter, "bucket": bucket, "vllm_instances": str(vllm_instances)}
            ),
        )
        self.arn = str(started["executionArn"])
        return self.arn

    def _current_state(self) -> str | None:
        """The state last entered, from the history; None where history is unavailable."""
        try:
            events = self.sfn.get_execution_history(
                executionArn=self.arn, reverseOrder=True, maxResults=25
            )["events"]
        except ClientError:
            return None
        for event in events:
            if "stateEnteredEventDetails" in event:
                return str(event["stateEnteredEventDetails"]["name"])
        return None

    def describe(self) -> dict[str, Any]:
        found: dict[str, Any] = self.sfn.describe_execution(executionArn=self.arn)
        return found

    def follow(self, poller: Poller, timeout_s: float) -> Outcome:
        def check() -> tuple[Outcome | None, str]:
            described = self.describe()
            status = str(described["status"])
            if status in FINAL:
                outcome = Outcome(
                    status,
                    described["startDate"],
                    described["stopDate"],
                    described.get("error"),
                    described.get("cause"),
                )
                return outcome, status
            state = self._current_state()
            return None, status + (f" in {state}" if state else "")

        return poller.until("execution", check, timeout_s)

    def stop_if_running(self, cause: str) -> bool:
        """Stopping the execution also terminates its running Batch job (`.sync` tasks)."""
        if self.arn is None or self.describe()["status"] != "RUNNING":
            return False
        self.sfn.stop_execution(executionArn=self.arn, error="CloudSmoke.Stopped", cause=cause)
        return True
