"""The account's Service Quotas against what a run needs: Fargate vCPUs for the map jobs in
flight, EC2 vCPUs for the GPU hosts. New accounts have been seen with single-digit Fargate
limits and no GPU quota at all; a short quota makes jobs wait in RUNNABLE, or the GPU group
never launch, while what did start bills."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ftm_ops.cloud.errors import CloudError
from ftm_ops.quarter.projection import ProjectionSettings, project
from ftm_shared.checklist import Criterion

CONSOLE = "https://console.aws.amazon.com/servicequotas/home/services/{service}/quotas/{code}"
# terraform/modules/ecs on_demand_base_capacity: vLLM's first instance is on-demand, the
# others Spot (a test holds the two together).
GPU_ON_DEMAND_BASE = 1


@dataclass(frozen=True)
class Quota:
    service: str
    code: str
    name: str


FARGATE_SPOT = Quota("fargate", "L-36FBB829", "Fargate Spot vCPUs")
FARGATE_ON_DEMAND = Quota("fargate", "L-3032A538", "Fargate On-Demand vCPUs")
# EC2's vCPU quotas by instance family: (on-demand, Spot).
G_VT = (
    Quota("ec2", "L-DB2E81BA", "Running On-Demand G and VT instances"),
    Quota("ec2", "L-3819A6DF", "All G and VT Spot Instance Requests"),
)
FAMILY_QUOTAS = {
    "g": G_VT,
    "vt": G_VT,
    "p": (
        Quota("ec2", "L-417A185B", "Running On-Demand P instances"),
        Quota("ec2", "L-7212CCBC", "All P Spot Instance Requests"),
    ),
}


@dataclass(frozen=True)
class Need:
    quota: Quota
    vcpus: int
    why: str


def fargate_needs(projection: ProjectionSettings, instances: int) -> list[Need]:
    """The map jobs in flight at once (the projection's count: held by the fleet's slots,
    the Batch vCPUs or the shards), each MAP_JOB_VCPUS; Spot first, on-demand behind it."""
    in_flight = project(projection, instances).shards_in_flight
    why = f"{in_flight} map jobs in flight x {projection.map_job_vcpus} vCPUs"
    vcpus = in_flight * projection.map_job_vcpus
    return [Need(FARGATE_SPOT, vcpus, why), Need(FARGATE_ON_DEMAND, vcpus, why)]


def instance_vcpus(ec2: Any, instance_type: str, setting: str) -> int:
    try:
        found = ec2.describe_instance_types(InstanceTypes=[instance_type])["InstanceTypes"]
    except ClientError as error:
        raise CloudError(
            f"{setting}={instance_type} is not an EC2 instance type here "
            f"({error.response['Error']['Code']}): set {setting}"
        ) from None
    return int(found[0]["VCpuInfo"]["DefaultVCpus"])


def family_quotas(instance_type: str, setting: str) -> tuple[Quota, Quota]:
    family = re.match(r"[a-z]+", instance_type)
    quotas = FAMILY_QUOTAS.get(family.group() if family else "")
    if quotas is None:
        raise CloudError(
            f"{setting}={instance_type}: preflight knows the GPU quotas of the G, VT and P "
            "families only; check this family's vCPU quota in the Service Quotas console"
        )
    return quotas


def gpu_needs(
    vcpus_of: Callable[[str, str], int],
    gpu_type: str,
    instances: int,
    tester_type: str,
) -> list[Need]:
    """vLLM's on-demand base and the model-tester box on the on-demand quota, the rest of
    vLLM's instances on the Spot one; summed where two hosts share a quota."""
    hosts = [
        (gpu_type, "GPU_INSTANCE_TYPE", 0, min(instances, GPU_ON_DEMAND_BASE), "vLLM on-demand"),
        (gpu_type, "GPU_INSTANCE_TYPE", 1, instances - GPU_ON_DEMAND_BASE, "vLLM Spot"),
        (tester_type, "MODEL_TESTER_INSTANCE_TYPE", 0, 1, "model-tester box"),
    ]
    needs: dict[Quota, Need] = {}
    for instance_type, setting, market, count, what in hosts:
        if count <= 0:
            continue
        quota = family_quotas(instance_type, setting)[market]
        vcpus = count * vcpus_of(instance_type, setting)
        why = f"{count} x {instance_type} {what}"
        if quota in needs:
            earlier = needs[quota]
            needs[quota] = Need(quota, earlier.vcpus + vcpus, f"{earlier.why} + {why}")
        else:
            needs[quota] = Need(quota, vcpus, why)
    return list(needs.values())


def applied_value(quotas: Any, quota: Quota) -> float | None:
    """The account's value, else AWS's default where no applied value is recorded; None when
    Service Quotas knows neither."""
    ask = {"ServiceCode": quota.service, "QuotaCode": quota.code}
    try:
        return float(quotas.get_service_quota(**ask)["Quota"]["Value"])
    except quotas.exceptions.NoSuchResourceException:
        pass
    try:
        return float(quotas.get_aws_default_service_quota(**ask)["Quota"]["Value"])
    except quotas.exceptions.NoSuchResourceException:
        return None


def criterion(quotas: Any, need: Need, region: str) -> Criterion:
    quota = need.quota
    name = f"quota {quota.service} {quota.code} ({quota.name})"
    page = CONSOLE.format(service=quota.service, code=quota.code) + f"?region={region}"
    try:
        value = applied_value(quotas, quota)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        return Criterion(
            name, False, detail=f"cannot read it ({code}): allow servicequotas:Get*, or see {page}"
        )
    if value is None:
        return Criterion(name, False, detail=f"not found in {region}: see {page}")
    if value < need.vcpus:
        return Criterion(
            name,
            False,
            detail=f"{value:g} vCPUs found, {need.vcpus} needed ({need.why}): request "
            f"{need.vcpus} at {page}",
        )
    return Criterion(name, True, detail=f"{value:g} vCPUs >= {need.vcpus} needed ({need.why})")
