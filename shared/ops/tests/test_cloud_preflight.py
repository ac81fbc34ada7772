"""`ftm cloud preflight` on moto (in-process): a missing service-linked role and a short quota
are one line each and exit 2; a prepared account passes; deploy and the smoke stop at it.

moto serves IAM's service-linked roles and Service Quotas' API, but its quotas backend knows
only the `vpc` codes and has no call to set one (GetServiceQuota answers NoSuchResource for
`fargate` and `ec2`): the tests put the account's values into moto's backend, as AWS would
hold them. Docker and terraform are probed through a stand-in for the commands."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws
from moto.servicequotas.exceptions import NoSuchResource
from moto.servicequotas.models import servicequotas_backends

from ftm_ops.cloud import linked_roles, quotas
from ftm_ops.cloud.cli import cloud
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.local_tools import Ran
from ftm_ops.cloud.preflight import deploy_preflight, smoke_preflight
from ftm_ops.cloud.settings import DeploySettings, SmokeSettings
from ftm_ops.quarter.projection import ProjectionSettings
from ftm_shared.config import load_settings

pytestmark = pytest.mark.unit
ACCOUNT = "123456789012"  # moto's
REGION = "us-east-1"
BUCKET = "ftm-preflight"
WEIGHTS = f"s3://{BUCKET}/models/qwen3-8b/"
# What one g5.xlarge of vLLM and the tester box need (8), 3 map jobs of 8 vCPUs (24).
ENOUGH = {"L-36FBB829": 32.0, "L-3032A538": 32.0, "L-DB2E81BA": 8.0, "L-3819A6DF": 0.0}
BUILDX = "Name: default\nDriver: docker\nPlatforms: linux/amd64, linux/amd64/v2, linux/386\n"


def tools(**answers: Ran | None) -> Any:
    """A stand-in for running docker and terraform: by the command's first two words; None
    is a program that is not installed."""
    defaults = {
        "docker version": Ran(0, "28.2.2\n"),
        "docker buildx": Ran(0, BUILDX),
        "terraform version": Ran(0, '{"terraform_version": "1.11.4", "platform": "x"}'),
    }
    table = {**defaults, **{key.replace("_", " "): value for key, value in answers.items()}}

    def probe(argv: Sequence[str]) -> Ran:
        answer = table[f"{Path(argv[0]).name} {argv[1]}"]
        if answer is None:
            raise FileNotFoundError(argv[0])
        return answer

    return probe


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A fresh moto account with the deploy settings pointing at it (subnets in two zones)."""
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "FTM_USE_SSM", "FTM_ENV_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FTM_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("TERRAFORM_BIN", "terraform")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24", AvailabilityZone=zone)
            for n, zone in enumerate((f"{REGION}a", f"{REGION}b"))
        ]
        env = {
            "AWS_ACCOUNT_ID": ACCOUNT,
            "AWS_REGION": REGION,
            "S3_BUCKET": BUCKET,
            "VPC_ID": vpc,
            "SUBNET_IDS": ",".join(s["Subnet"]["SubnetId"] for s in subnets),
            "VLLM_MODEL_S3_URI": WEIGHTS,
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield env


def set_quotas(monkeypatch: pytest.MonkeyPatch, values: dict[str, float]) -> None:
    """The account's applied quota values, held where moto's GetServiceQuota reads them."""
    backend = servicequotas_backends[ACCOUNT][REGION]

    def get_service_quota(service_code: str, quota_code: str) -> dict[str, Any]:
        if quota_code not in values:
            raise NoSuchResource
        return {
            "ServiceCode": service_code,
            "QuotaCode": quota_code,
            "QuotaName": quota_code,
            "Value": values[quota_code],
            "Adjustable": True,
        }

    monkeypatch.setattr(backend, "get_service_quota", get_service_quota)


def create_roles(roles: tuple[linked_roles.LinkedRole, ...]) -> None:
    iam = boto3.client("iam", region_name=REGION)
    for role in roles:
        iam.create_service_linked_role(AWSServiceName=role.service)


def upload_weights() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for name in ("config.json", "model-00001-of-00002.safetensors", "tokenizer.json"):
        s3.put_object(Bucket=BUCKET, Key=f"models/qwen3-8b/{name}", Body=b"{}")


@pytest.fixture
def prepared(account: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    create_roles(linked_roles.ALWAYS)
    set_quotas(monkeypatch, ENOUGH)
    upload_weights()
    return account


def run_preflight(probe: Any = None, **kwargs: Any) -> tuple[bool, list[str]]:
    lines: list[str] = []
    passed = deploy_preflight(
        load_settings(DeploySettings),
        ProjectionSettings(),
        echo=lines.append,
        probe=probe or tools(),
        **kwargs,
    )
    return passed, lines


def failures(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("✗")]


def test_a_prepared_account_passes(prepared: dict[str, Any]) -> None:
    passed, lines = run_preflight()
    assert passed, "\n".join(lines)
    assert failures(lines) == []
    text = "\n".join(lines)
    assert f"✓ AWS identity: account {ACCOUNT} in {REGION}" in text
    assert "✓ service-linked roles: AWSServiceRoleForECS, AWSServiceRoleForBatch" in text
    assert (
        "✓ quota fargate L-36FBB829 (Fargate Spot vCPUs): 32 vCPUs >= 24 needed "
        "(3 map jobs in flight x 8 vCPUs)" in text
    )
    assert (
        "✓ quota ec2 L-DB2E81BA (Running On-Demand G and VT instances): 8 vCPUs >= 8 needed "
        "(1 x g5.xlarge vLLM on-demand + 1 x g5.xlarge model-tester box)" in text
    )
    assert "L-3819A6DF" not in text  # one instance: no Spot host, no Spot quota asked for
    assert f"✓ vLLM weights of Qwen/Qwen3-8B: config.json and 1 *.safetensors in {WEIGHTS}" in text
    assert "✓ Docker builds linux/amd64: engine 28.2.2" in text
    assert "✓ terraform: 1.11.4" in text
    # 3 interface endpoints in the subnets' 2 zones, one NAT gateway, the load balancer.
    assert "idle cost: ~$93.08/month" in text and "3 interface endpoints x 2 zones" in text
    assert "a run: projected: 3500 firms in 18 shard(s)" in text
    assert lines[-1] == "preflight passed"


def test_a_missing_role_and_a_short_quota_are_one_line_each(
    prepared: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("iam", region_name=REGION).delete_service_linked_role(
        RoleName=boto3.client("iam", region_name=REGION).list_roles(
            PathPrefix="/aws-service-role/batch.amazonaws.com/"
        )["Roles"][0]["RoleName"]
    )
    set_quotas(monkeypatch, {**ENOUGH, "L-36FBB829": 6.0})
    passed, lines = run_preflight()
    assert not passed
    assert failures(lines) == [
        "✗ service-linked role AWSServiceRoleForBatch: missing (the Batch compute environments): "
        "aws iam create-service-linked-role --aws-service-name batch.amazonaws.com, "
        "or `ftm cloud preflight --fix` for all",
        "✗ quota fargate L-36FBB829 (Fargate Spot vCPUs): 6 vCPUs found, 24 needed (3 map jobs "
        "in flight x 8 vCPUs): request 24 at https://console.aws.amazon.com/servicequotas/home/"
        f"services/fargate/quotas/L-36FBB829?region={REGION}",
    ]
    assert lines[-1] == "preflight: 2 check(s) failed; each ✗ line names its fix"


def test_the_command_exits_2_and_fix_creates_the_roles(
    account: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_quotas(monkeypatch, ENOUGH)
    result = CliRunner().invoke(cloud, ["preflight"])
    assert result.exit_code == 2, result.output
    assert "✗ service-linked role AWSServiceRoleForECS: missing" in result.output
    for _ in range(2):  # creating them is idempotent
        passed, lines = run_preflight(fix=True)
    assert passed, "\n".join(lines)
    iam = boto3.client("iam", region_name=REGION)
    for role in linked_roles.ALWAYS:
        assert len(iam.list_roles(PathPrefix=role.path)["Roles"]) == 1


def test_more_gpus_need_spot_quota_and_the_spot_role(
    prepared: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VLLM_INSTANCES", "3")
    _, lines = run_preflight()
    assert [line.split(":")[0] for line in failures(lines)] == [
        "✗ service-linked role AWSServiceRoleForEC2Spot",
        "✗ quota ec2 L-3819A6DF (All G and VT Spot Instance Requests)",
    ]
    assert "0 vCPUs found, 8 needed (2 x g5.xlarge vLLM Spot)" in failures(lines)[1]
    create_roles((linked_roles.SPOT,))
    set_quotas(monkeypatch, {**ENOUGH, "L-3819A6DF": 8.0})
    passed, lines = run_preflight()
    assert passed, "\n".join(lines)


def test_the_wrong_account_stops_the_aws_checks(
    prepared: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCOUNT_ID", "999999999999")
    passed, lines = run_preflight()
    assert not passed
    [identity] = failures(lines)
    assert identity.startswith("✗ AWS identity: the credentials belong to account 123456789012")
    assert not any("quota" in line or "service-linked" in line for line in lines)


def test_weights_missing_do_not_block_a_deploy(
    account: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    create_roles(linked_roles.ALWAYS)
    set_quotas(monkeypatch, ENOUGH)
    passed, lines = run_preflight()
    assert passed
    assert (
        f"· vLLM weights of Qwen/Qwen3-8B: no config.json or *.safetensors under {WEIGHTS} "
        "(VLLM_MODEL_S3_URI): `uv run ftm cloud upload-weights` (for the smoke, not deploy)"
    ) in lines


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"docker_version": None}, "docker is not installed: install Docker Desktop"),
        (
            {
                "docker_version": Ran(
                    1,
                    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                    "Is the docker daemon running?\n",
                )
            },
            "no Docker engine answers (Cannot connect to the Docker daemon",
        ),
        (
            {"docker_buildx": Ran(1, "docker: unknown command: docker buildx\n")},
            "buildx does not answer (docker: unknown command: docker buildx): install",
        ),
        (
            {"docker_buildx": Ran(0, "Platforms: linux/arm64, linux/arm/v7\n")},
            "cannot build linux/amd64 (it lists linux/arm64, linux/arm/v7): add amd64 emulation",
        ),
        ({"terraform_version": None}, "terraform not found: install terraform 1.10 or newer"),
        (
            {"terraform_version": Ran(0, '{"terraform_version": "1.6.6"}')},
            "1.6.6 is older than the stacks need: install terraform 1.10 or newer",
        ),
    ],
)
def test_local_tools_name_their_fix(
    prepared: dict[str, Any], answers: dict[str, Ran | None], expected: str
) -> None:
    passed, lines = run_preflight(tools(**answers))
    assert not passed
    [line] = failures(lines)
    assert expected in line


def test_gpu_needs_sum_the_hosts_on_one_quota() -> None:
    needs = quotas.gpu_needs(lambda _type, _setting: 4, "g5.xlarge", 3, "g4dn.xlarge")
    assert [(n.quota.code, n.vcpus, n.why) for n in needs] == [
        ("L-DB2E81BA", 8, "1 x g5.xlarge vLLM on-demand + 1 x g4dn.xlarge model-tester box"),
        ("L-3819A6DF", 8, "2 x g5.xlarge vLLM Spot"),
    ]
    [_, tester] = quotas.gpu_needs(lambda _type, _setting: 8, "g5.xlarge", 1, "p3.2xlarge")
    assert (tester.quota.code, tester.vcpus) == ("L-417A185B", 8)
    with pytest.raises(CloudError, match=r"MODEL_TESTER_INSTANCE_TYPE=m5\.large: preflight knows"):
        quotas.gpu_needs(lambda _type, _setting: 2, "g5.xlarge", 1, "m5.large")


def test_an_unknown_instance_type_is_named(
    prepared: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPU_INSTANCE_TYPE", "g5.huge")
    _, lines = run_preflight()
    assert failures(lines) == [
        "✗ GPU vCPU quota: GPU_INSTANCE_TYPE=g5.huge is not an EC2 instance type here "
        "(InvalidInstanceType): set GPU_INSTANCE_TYPE"
    ]


@pytest.fixture
def deployed(prepared: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> str:
    """vLLM's service as the platform stack leaves it, and the smoke's handles; its weights
    URI is the task's, which is what the smoke's preflight checks."""
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="ftm-vllm")
    empty = f"s3://{BUCKET}/models/other/"
    ecs.register_task_definition(
        family="ftm-vllm",
        containerDefinitions=[
            {
                "name": "vllm",
                "image": "vllm",
                "memory": 1024,
                "environment": [
                    {"name": "FTM_VLLM_MODEL_S3_URI", "value": empty},
                    {"name": "FTM_VLLM_SERVED_MODEL", "value": "Qwen/Qwen3-8B"},
                ],
            }
        ],
    )
    ecs.create_service(
        cluster="ftm-vllm", serviceName="ftm-vllm", taskDefinition="ftm-vllm", desiredCount=0
    )
    handles = {
        "VLLM_CLUSTER": "ftm-vllm",
        "VLLM_SERVICE": "ftm-vllm",
        "VLLM_ASG_NAME": "ftm-gpu",
        "VLLM_TARGET_GROUP_ARN": "arn:aws:elasticloadbalancing:us-east-1:123456789012:tg/x",
        "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:ftm",
        "VLLM_LOG_GROUP": "/ecs/ftm-vllm",
        "JOBS_LOG_GROUP": "/aws/batch/ftm",
        "VLLM_MAX_LIFETIME_H": "6",
    }
    for key, value in handles.items():
        monkeypatch.setenv(key, value)
    return empty


def test_the_smoke_stops_at_preflight_without_the_tasks_weights(deployed: str) -> None:
    result = CliRunner().invoke(cloud, ["smoke", "--yes"])
    assert result.exit_code == 2, result.output
    [line] = failures(result.output.splitlines())
    assert line == (
        f"✗ vLLM weights of Qwen/Qwen3-8B: no config.json or *.safetensors under {deployed} "
        "(VLLM_MODEL_S3_URI): `uv run ftm cloud upload-weights`"
    )
    assert result.output.splitlines()[-1] == "cloud smoke not started: nothing was scaled up"
    service = boto3.client("ecs", region_name=REGION).describe_services(
        cluster="ftm-vllm", services=["ftm-vllm"]
    )["services"][0]
    assert service["desiredCount"] == 0


def test_the_smokes_preflight_passes_with_the_tasks_weights(deployed: str) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for name in ("config.json", "model.safetensors"):
        s3.put_object(Bucket=BUCKET, Key=f"models/other/{name}", Body=b"{}")
    lines: list[str] = []
    assert smoke_preflight(load_settings(SmokeSettings), echo=lines.append), "\n".join(lines)
    assert (
        f"✓ vLLM weights of Qwen/Qwen3-8B: config.json and 1 *.safetensors in {deployed}" in lines
    )
