"""`ftm cloud preflight`: what would stop a deploy or a run on this account, found before
anything is created or started, one line per failed check naming its fix.

`ftm cloud deploy` and `ftm cloud smoke` run it first and stop (exit 2) when a check fails.
Deploy's checks: the identity, the service-linked roles, the Fargate and GPU vCPU quotas
against what VLLM_INSTANCES needs, Docker that builds linux/amd64, terraform; the weights are
shown but do not block a deploy (the bucket they go in is deploy's). The smoke's: the same
account checks and the weights the deployed vLLM task will sync.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ftm_ops.cloud import linked_roles, local_tools, quotas, stored_weights
from ftm_ops.cloud.cost import idle_cost
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.identity import cloud_client, verify_account
from ftm_ops.cloud.settings import CloudSettings, DeploySettings, SmokeSettings
from ftm_ops.quarter.projection import ProjectionSettings, describe, project
from ftm_shared.checklist import Criterion

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Check:
    criterion: Criterion
    blocking: bool = True

    @property
    def failed(self) -> bool:
        return self.blocking and not self.criterion.passed

    def render(self) -> str:
        if self.blocking or self.criterion.passed:
            return self.criterion.render()
        return f"· {self.criterion.name}: {self.criterion.detail} (for the smoke, not deploy)"


@dataclass
class AccountChecks:
    """What an account must have for a run of `instances` GPU instances."""

    settings: CloudSettings
    projection: ProjectionSettings
    instances: int

    def client(self, service: str) -> Any:
        return cloud_client(service, self.settings)

    def run(self, fix: bool) -> list[Check]:
        """The identity first: with the wrong credentials nothing else means anything."""
        try:
            identity = verify_account(self.settings)
        except CloudError as error:
            return [Check(Criterion("AWS identity", False, detail=str(error)))]
        found = [Criterion("AWS identity", True, detail=identity.describe())]
        found += self._roles(fix) + self._quotas()
        return [Check(criterion) for criterion in found]

    def _roles(self, fix: bool) -> list[Criterion]:
        iam = self.client("iam")
        roles = linked_roles.required(spot=self.instances > quotas.GPU_ON_DEMAND_BASE)
        if fix:
            for role in roles:
                linked_roles.create(iam, role)
        return linked_roles.criteria(iam, roles)

    def _quotas(self) -> list[Criterion]:
        ec2, settings = self.client("ec2"), self.settings
        needs = quotas.fargate_needs(self.projection, self.instances)
        try:
            needs += quotas.gpu_needs(
                lambda instance_type, setting: quotas.instance_vcpus(ec2, instance_type, setting),
                settings.gpu_instance_type,
                self.instances,
                settings.model_tester_instance_type,
            )
        except CloudError as error:
            return [Criterion("GPU vCPU quota", False, detail=str(error))]
        service_quotas = self.client("service-quotas")
        return [quotas.criterion(service_quotas, need, settings.aws_region) for need in needs]


def on_local_cloud(settings: CloudSettings, echo: Echo) -> bool:
    if settings.aws_endpoint_url:
        echo(
            f"skipped: AWS_ENDPOINT_URL is set ({settings.aws_endpoint_url}), the local cloud, "
            "which has no service quotas or service-linked roles to check"
        )
    return bool(settings.aws_endpoint_url)


def verdict(checks: list[Check], echo: Echo) -> bool:
    failed = [check for check in checks if check.failed]
    echo(
        f"preflight: {len(failed)} check(s) failed; each ✗ line names its fix"
        if failed
        else "preflight passed"
    )
    return not failed


def deploy_preflight(
    settings: DeploySettings,
    projection: ProjectionSettings,
    *,
    echo: Echo,
    fix: bool = False,
    probe: local_tools.Probe = local_tools.run_probe,
) -> bool:
    """Print every check, the idle and the run's cost; True when none failed."""
    echo("== preflight: before anything is created")
    if on_local_cloud(settings, echo):
        return True
    account = AccountChecks(settings, projection, projection.vllm_instances)
    checks = account.run(fix)
    verified = checks[0].criterion.passed
    if verified:
        weights = stored_weights.stored(
            account.client("s3"), settings.vllm_model_s3_uri, settings.vllm_served_model
        )
        checks.append(Check(weights, blocking=False))
    checks.append(Check(local_tools.docker(probe)))
    checks.append(Check(local_tools.terraform(probe, settings.terraform_bin)))
    for check in checks:
        echo(check.render())
    echo(idle_cost(settings, account.client("ec2") if verified else None).summary())
    run = project(projection, projection.vllm_instances)
    echo(f"a run: {describe(run, projection.projection_firms)}")
    return verdict(checks, echo)


def smoke_preflight(settings: SmokeSettings, *, echo: Echo) -> bool:
    """The account checks and the weights the deployed vLLM task syncs; True when all pass."""
    echo("== preflight: before anything starts")
    if on_local_cloud(settings, echo):
        return True
    account = AccountChecks(settings, settings.projection(), settings.vllm_instances)
    checks = account.run(fix=False)
    if checks[0].criterion.passed:
        checks.append(Check(_deployed_weights(account, settings)))
    for check in checks:
        echo(check.render())
    return verdict(checks, echo)


def _deployed_weights(account: AccountChecks, settings: SmokeSettings) -> Criterion:
    try:
        uri, model = stored_weights.deployed_source(
            account.client("ecs"), settings.vllm_cluster, settings.vllm_service
        )
    except CloudError as error:
        return Criterion("vLLM weights", False, detail=str(error))
    return stored_weights.stored(account.client("s3"), uri, model)
