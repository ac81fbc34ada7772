"""Which machines a run's vLLM ran on. The GPU AMI floats: terraform resolves the public SSM
parameter of the recommended ECS GPU AMI when it applies, so the image behind a run (and its
NVIDIA driver) is only known from the instances themselves."""

from __future__ import annotations

from typing import Any


def gpu_hosts(autoscaling: Any, ec2: Any, group: str) -> list[dict[str, str]]:
    """Instance id, type, AMI and market of every instance in the GPU Auto Scaling group."""
    found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    ids = [
        instance["InstanceId"]
        for asg in found["AutoScalingGroups"]
        for instance in asg.get("Instances", [])
    ]
    if not ids:
        return []
    reservations = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return [
        {
            "instance_id": raw["InstanceId"],
            "instance_type": raw["InstanceType"],
            "image_id": raw["ImageId"],
            "market": raw.get("InstanceLifecycle", "on-demand"),
        }
        for reservation in reservations
        for raw in reservation["Instances"]
    ]


def describe(hosts: list[dict[str, str]]) -> str:
    return ", ".join(
        f"{host['instance_id']} ({host['instance_type']}, {host['image_id']}, {host['market']})"
        for host in hosts
    )
