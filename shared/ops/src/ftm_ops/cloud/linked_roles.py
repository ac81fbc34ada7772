"""The service-linked roles the platform stack's services act through.

AWS creates each one the first time its service is used, but on a brand-new account that first
create often fails with "Unable to assume the service linked role" while the new role
propagates. Preflight checks they exist and, with `--fix`, creates the missing ones first.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from ftm_shared.checklist import Criterion


@dataclass(frozen=True)
class LinkedRole:
    name: str
    service: str
    used_by: str

    @property
    def path(self) -> str:
        """Every service-linked role lives under this IAM path, whatever its name's casing."""
        return f"/aws-service-role/{self.service}/"

    def create_command(self) -> str:
        return f"aws iam create-service-linked-role --aws-service-name {self.service}"


# What terraform/stacks/platform creates through them.
ALWAYS = (
    LinkedRole("AWSServiceRoleForECS", "ecs.amazonaws.com", "vLLM's ECS cluster, Fargate tasks"),
    LinkedRole("AWSServiceRoleForBatch", "batch.amazonaws.com", "the Batch compute environments"),
    LinkedRole(
        "AWSServiceRoleForAutoScaling", "autoscaling.amazonaws.com", "the GPU Auto Scaling group"
    ),
    LinkedRole(
        "AWSServiceRoleForElasticLoadBalancing",
        "elasticloadbalancing.amazonaws.com",
        "vLLM's load balancer",
    ),
)
SPOT = LinkedRole("AWSServiceRoleForEC2Spot", "spot.amazonaws.com", "the GPU group's Spot hosts")


def required(spot: bool) -> tuple[LinkedRole, ...]:
    return (*ALWAYS, SPOT) if spot else ALWAYS


def exists(iam: Any, role: LinkedRole) -> bool:
    return bool(iam.list_roles(PathPrefix=role.path)["Roles"])


def create(iam: Any, role: LinkedRole) -> None:
    """Create the role unless it exists (a concurrent create counts as done)."""
    if exists(iam, role):
        return
    # "Service role name ... has been taken in this account": another caller made it.
    taken = (iam.exceptions.InvalidInputException, iam.exceptions.EntityAlreadyExistsException)
    with contextlib.suppress(*taken):
        iam.create_service_linked_role(AWSServiceName=role.service)


def criteria(iam: Any, roles: tuple[LinkedRole, ...]) -> list[Criterion]:
    """One line for each missing role, naming the command that creates it; one for the rest."""
    missing = [role for role in roles if not exists(iam, role)]
    lines = [
        Criterion(
            f"service-linked role {role.name}",
            False,
            detail=f"missing ({role.used_by}): {role.create_command()}, "
            "or `ftm cloud preflight --fix` for all",
        )
        for role in missing
    ]
    present = [role.name for role in roles if role not in missing]
    if present:
        lines.append(Criterion("service-linked roles", True, detail=", ".join(present)))
    return lines
