"""The idle baseline: what bills every month with the GPU fleet at zero, from the settings'
hourly prices and the zones of SUBNET_IDS (read from EC2 on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ftm_ops.cloud.cost import HOURS_PER_MONTH, idle_cost, subnet_zones
from ftm_ops.cloud.settings import DeploySettings
from ftm_shared.config import load_settings

pytestmark = pytest.mark.unit
REGION = "us-east-1"


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> DeploySettings:
    for key in ("AWS_ENDPOINT_URL", "FTM_USE_SSM", "FTM_ENV_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FTM_STATE_DIR", str(tmp_path))
    env = {
        "AWS_ACCOUNT_ID": "123456789012",
        "S3_BUCKET": "b-ftm",
        "VPC_ID": "vpc-0abc",
        "SUBNET_IDS": "subnet-a,subnet-b",
        "VLLM_MODEL_S3_URI": "s3://b-ftm/models/x/",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings(DeploySettings)


@pytest.fixture
def ec2() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


def test_the_baseline_is_nat_endpoints_per_zone_and_the_load_balancer(
    settings: DeploySettings,
) -> None:
    cost = idle_cost(settings, None)
    # 1 NAT gateway $0.045/h, 3 endpoints x 2 zones x $0.01/h, the load balancer $0.0225/h.
    assert cost.monthly_usd == pytest.approx((0.045 + 0.06 + 0.0225) * HOURS_PER_MONTH)
    assert cost.summary().startswith(
        "idle cost: ~$93.08/month with the GPU fleet at zero (1 NAT gateway(s) $32.85, "
        "3 interface endpoints x 2 zones (assumed one per subnet: SUBNET_IDS not described) "
        "$43.80, vLLM's load balancer $16.43)"
    )
    without = settings.model_copy(update={"vpc_interface_endpoints": False, "nat_gateways": 0})
    assert idle_cost(without, None).monthly_usd == pytest.approx(0.0225 * HOURS_PER_MONTH)


def test_zones_come_from_the_subnets(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.8.{n}.0/24", AvailabilityZone=f"{REGION}{zone}"
        )["Subnet"]["SubnetId"]
        for n, zone in enumerate("aab")
    ]
    # Three subnets in two zones: an interface endpoint takes one subnet per zone.
    assert subnet_zones(ec2, subnets) == (2, "of SUBNET_IDS")
    assert subnet_zones(ec2, ["subnet-gone", "subnet-away"]) == (
        2,
        "assumed one per subnet: SUBNET_IDS not described",
    )
