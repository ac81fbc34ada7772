"""The vLLM fleet: the GPU Auto Scaling group and the ECS service, scaled together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftm_ops.cloud.clock import Poller
from ftm_ops.cloud.settings import SmokeSettings


@dataclass
class VllmFleet:
    autoscaling: Any
    ecs: Any
    settings: SmokeSettings

    def scale(self, count: int) -> None:
        """Instances first on the way up (tasks need somewhere to run), last on the way down."""
        if count > 0:
            self._scale_instances(count)
            self._scale_service(count)
        else:
            self._scale_service(0)
            self._scale_instances(0)

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

    def desired(self) -> tuple[int, int]:
        """(ASG desired capacity, ECS desired count): what is still asked for."""
        group = self.autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.settings.vllm_asg_name]
        )["AutoScalingGroups"][0]
        return int(group["DesiredCapacity"]), int(self._service()["desiredCount"])

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
