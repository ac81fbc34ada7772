"""The vLLM fleet: the GPU Auto Scaling group and the ECS service, scaled together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftm_ops.cloud.clock import Poller
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.settings import SmokeSettings


@dataclass
class VllmFleet:
    autoscaling: Any
    ecs: Any
    settings: SmokeSettings

    def scale(self, count: int) -> None:
        """Instances first on the way up (tasks need somewhere to run), last on the way down.

        Down, each call is made whether or not the other one failed: the instances are what
        bills, and a service left wanting tasks without instances costs nothing.
        """
        if count > 0:
            self._scale_instances(count)
            self._scale_service(count)
            return
        failures = []
        for what, call in (
            (f"ECS service {self.settings.vllm_service}", self._scale_service),
            (f"Auto Scaling group {self.settings.vllm_asg_name}", self._scale_instances),
        ):
            try:
                call(0)
            except Exception as error:  # each failure is reported; the next call still runs
                failures.append(f"{what}: {error}")
        if failures:
            raise CloudError("; ".join(failures))

    def _scale_instances(self, count: int) -> None:
        self.autoscaling.set_desired_capacity(
            AutoScalingGroupName=self.settings.vllm_asg_name,
            DesiredCapacity=count,
            HonorCooldown=False,
        )

    def _scale_service(self, count: int) -> None:
        self.ecs.update_service(
            cluster=self.settings.vllm_cluster,
            service=self.settings.vllm_service,
            desiredCount=count,
        )

    def _group(self) -> dict[str, Any]:
        found: dict[str, Any] = self.autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.settings.vllm_asg_name]
        )["AutoScalingGroups"][0]
        return found

    def check_capacity(self, count: int) -> None:
        """Refuse, before anything starts, a count the Auto Scaling group cannot reach."""
        maximum = int(self._group()["MaxSize"])
        if count > maximum:
            raise CloudError(
                f"VLLM_INSTANCES={count} is above the GPU Auto Scaling group's maximum of "
                f"{maximum}: lower VLLM_INSTANCES, or raise VLLM_MAX_INSTANCES and re-deploy"
            )

    def desired(self) -> tuple[int, int]:
        """(ASG desired capacity, ECS desired count): what is still asked for."""
        return int(self._group()["DesiredCapacity"]), int(self._service()["desiredCount"])

    def _service(self) -> dict[str, Any]:
        found: list[dict[str, Any]] = self.ecs.describe_services(
            cluster=self.settings.vllm_cluster, services=[self.settings.vllm_service]
        )["services"]
        return found[0]

    def wait_stable(self, poller: Poller) -> None:
        """The `services_stable` waiter's condition, polled so the operator sees progress."""

        def check() -> tuple[bool | None, str]:
            service = self._service()
            running, desired = service["runningCount"], service["desiredCount"]
            rollouts = len(service.get("deployments", []))
            stable = rollouts == 1 and running == desired
            return (True if stable else None), f"{running}/{desired} tasks running"

        poller.until("vLLM service", check, self.settings.smoke_ready_timeout_s)
