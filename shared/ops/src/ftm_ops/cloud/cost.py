"""What the deployment costs: a cloud smoke's GPU time from the settings' hourly price, and the
baseline that bills every month while the GPU fleet is at zero."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ftm_ops.cloud.settings import DeploySettings, IdleCostSettings


@dataclass
class GpuUsage:
    """Counts from the scale-up request to the scale-down request: instances boot and drain
    around that window, so this is an estimate, not the bill."""

    instances: int
    instance_type: str
    hourly_usd: float
    now: Callable[[], float] = field(default=time.monotonic)
    started: float | None = None
    stopped: float | None = None

    def start(self) -> None:
        self.started = self.now()

    def stop(self) -> None:
        if self.started is not None and self.stopped is None:
            self.stopped = self.now()

    @property
    def gpu_minutes(self) -> float:
        if self.started is None:
            return 0.0
        end = self.stopped if self.stopped is not None else self.now()
        return self.instances * (end - self.started) / 60

    @property
    def cost_usd(self) -> float:
        return self.gpu_minutes / 60 * self.hourly_usd

    def summary(self) -> str:
        return (
            f"GPU time: {self.gpu_minutes:.1f} instance-minutes of {self.instance_type} "
            f"(x{self.instances}); estimated cost ${self.cost_usd:.2f} "
            f"at ${self.hourly_usd:g}/h (GPU_HOURLY_USD)"
        )


HOURS_PER_MONTH = 730  # the month of AWS's price pages
# The interface endpoints terraform/modules/network creates (aws_vpc_endpoint.interface), each
# one network interface per Availability Zone of SUBNET_IDS; a test holds the two together.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs")


@dataclass(frozen=True)
class IdleCost:
    """What bills with the GPU fleet at zero: NAT, the interface endpoints, vLLM's load
    balancer. S3 storage, logs and a stopped tester box's disk come on top, by use."""

    settings: IdleCostSettings
    interface_endpoints: bool
    zones: int
    zones_source: str

    def items(self) -> list[tuple[str, float]]:
        """(what, hourly USD) for each thing billed by the hour."""
        endpoints = len(INTERFACE_ENDPOINTS) if self.interface_endpoints else 0
        s = self.settings
        return [
            (f"{s.nat_gateways} NAT gateway(s)", s.nat_gateways * s.nat_gateway_hourly_usd),
            (
                f"{endpoints} interface endpoints x {self.zones} zones ({self.zones_source})",
                endpoints * self.zones * s.interface_endpoint_hourly_usd,
            ),
            ("vLLM's load balancer", s.load_balancer_hourly_usd),
        ]

    @property
    def monthly_usd(self) -> float:
        return sum(hourly for _, hourly in self.items()) * HOURS_PER_MONTH

    def summary(self) -> str:
        month = HOURS_PER_MONTH
        parts = ", ".join(f"{what} ${hourly * month:.2f}" for what, hourly in self.items())
        return (
            f"idle cost: ~${self.monthly_usd:.2f}/month with the GPU fleet at zero ({parts}); "
            "S3, logs and a stopped tester box's disk on top (prices: NAT_GATEWAY_HOURLY_USD, "
            "INTERFACE_ENDPOINT_HOURLY_USD, LOAD_BALANCER_HOURLY_USD)"
        )


def subnet_zones(ec2: Any | None, subnet_ids: list[str]) -> tuple[int, str]:
    """The Availability Zones of SUBNET_IDS and where that number came from: an interface
    endpoint takes one subnet per zone. Without an answer from EC2, one zone per subnet."""
    if ec2 is not None:
        try:
            subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
            return len({subnet["AvailabilityZone"] for subnet in subnets}), "of SUBNET_IDS"
        except (BotoCoreError, ClientError):
            pass
    return len(set(subnet_ids)), "assumed one per subnet: SUBNET_IDS not described"


def idle_cost(settings: DeploySettings, ec2: Any | None) -> IdleCost:
    zones, source = subnet_zones(ec2, settings.subnet_ids)
    return IdleCost(settings, settings.vpc_interface_endpoints, zones, source)
