"""The vLLM fleet's scale-down: each call is made even when the other one fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.fleet import VllmFleet
from ftm_ops.cloud.settings import SmokeSettings

pytestmark = pytest.mark.unit


@dataclass
class Recording:
    """Stands in for a boto3 client: records each call, raises for the ones told to fail."""

    failing: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((name, kwargs))
            if name in self.failing:
                raise RuntimeError(f"{name} failed")
            return {}

        return call


def fleet(autoscaling: Recording, ecs: Recording) -> VllmFleet:
    settings = SmokeSettings.model_construct(
        vllm_asg_name="ftm-gpu", vllm_cluster="ftm-vllm", vllm_service="ftm-vllm"
    )
    return VllmFleet(autoscaling, ecs, settings)


@pytest.mark.parametrize("failing", ["ecs", "autoscaling", "both"])
def test_every_scale_down_call_is_made(failing: str) -> None:
    autoscaling = Recording(
        {"set_desired_capacity"} if failing in ("autoscaling", "both") else set()
    )
    ecs = Recording({"update_service"} if failing in ("ecs", "both") else set())
    with pytest.raises(CloudError) as failed:
        fleet(autoscaling, ecs).scale(0)
    assert ecs.calls == [
        ("update_service", {"cluster": "ftm-vllm", "service": "ftm-vllm", "desiredCount": 0})
    ]
    assert autoscaling.calls == [
        (
            "set_desired_capacity",
            {"AutoScalingGroupName": "ftm-gpu", "DesiredCapacity": 0, "HonorCooldown": False},
        )
    ]
    message = str(failed.value)
    assert ("ECS service ftm-vllm: update_service failed" in message) == (failing != "autoscaling")
    assert ("Auto Scaling group ftm-gpu: set_desired_capacity failed" in message) == (
        failing != "ecs"
    )


def test_up_starts_instances_before_tasks() -> None:
    both: list[tuple[str, dict[str, Any]]] = []
    autoscaling, ecs = Recording(calls=both), Recording(calls=both)
    fleet(autoscaling, ecs).scale(2)
    assert [
        (name, args.get("DesiredCapacity", args.get("desiredCount"))) for name, args in both
    ] == [
        ("set_desired_capacity", 2),
        ("update_service", 2),
    ]
