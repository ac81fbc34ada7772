"""Both stacks with the real terraform and AWS provider: `validate`, then an apply on a moto
server, checked there, and a destroy.

Needs the terraform binary (TERRAFORM_BIN, default `terraform`) and a local provider
directory (TERRAFORM_PLUGIN_DIR, else terraform's implied mirror directories, as `ftm cloud
deploy` looks); without them the tests skip and say which is missing, or fail where
FTM_REQUIRE_TERRAFORM=1 (CI). They run on copies of the modules and
stacks in a temporary folder, so no `.terraform/`, lock or state file lands in the repository.
`validate` needs no backend; on moto the stacks keep their state in the S3 backend, in a
state bucket made on moto the way deploy makes it.

Every resource of both stacks is created in moto. Where moto differs from AWS the copy, or
the moto server, is adjusted, and only there (MOTO_ADJUSTMENTS says which and why).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ftm_local.cloud import MOTO_CREDENTIALS, LocalCloud
from ftm_local.process import LOOPBACK, free_port, http_ok, start_server, stop_process
from ftm_ops.cloud import images
from ftm_ops.cloud.settings import DeploySettings, SmokeSettings
from ftm_ops.cloud.state_backend import StateBackend, backend_config_text, prepare_state_bucket
from ftm_ops.cloud.terraform import STACKS, find_plugin_dir, stack_variables
from ftm_shared.config import FtmSettings, load_settings, local_paths
from ftm_shared.llm import LlmSettings
from model_tester.config import ModelTesterSettings

TERRAFORM = Path(__file__).resolve().parents[1]
MOTO_FOR_TERRAFORM = Path(__file__).with_name("moto_for_terraform.py")
ACCOUNT = "123456789012"  # moto's account
REGION = "us-east-1"
PREFIX = "/ftm-tf/"
BATCH_SERVICE_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
)

MOTO_ADJUSTMENTS = {
    "module.batch.aws_batch_compute_environment.this": (
        "moto requires a serviceRole, AWS does not (it uses the Batch service-linked role): the "
        "copy names that role, created in moto as AWS creates it on first use"
    ),
    "module.stepfunctions.aws_sfn_state_machine.pipeline": (
        "moto's server does not route ValidateStateMachineDefinition (which the provider calls "
        "first) nor ListStateMachineVersions: moto_for_terraform.py adds both, validating with "
        "moto's own ASL parser"
    ),
    "module.ecs.aws_ecs_task_definition.vllm": (
        "moto asks an EC2 task's container for a hard `memory`; AWS takes `memoryReservation` "
        "alone: moto_for_terraform.py applies AWS's rule"
    ),
    "module.ecs.aws_appautoscaling_target.vllm": (
        "moto keeps no tags on scalable targets: moto_for_terraform.py answers its tag calls"
    ),
    "module.iam, module.tester (AWS-managed policy attachments)": (
        "moto knows AWS-managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES=true"
    ),
    "module.batch.aws_batch_compute_environment.on_demand": (
        "the same service role as the Spot environment's"
    ),
    "provider": (
        "s3_use_path_style (moto on 127.0.0.1 has no per-bucket host names) and max_retries 3 "
        "(moto's server now and then answers 500 to concurrent SSM calls; AWS SDKs retry 5xx)"
    ),
    "backend": "use_path_style, as the provider's s3_use_path_style",
}
MOTO_BACKEND = {"use_path_style": True}
Allows = Callable[[dict[str, Any], str, str], bool]
STATE_BUCKET = "ftm-tf-state"
PROVIDER_OVERRIDE = """\
provider "aws" {
  s3_use_path_style = true
  max_retries       = 3
}
"""
BATCH_OVERRIDE = "".join(
    f'resource "aws_batch_compute_environment" "{name}" {{\n'
    f'  service_role = "{BATCH_SERVICE_ROLE}"\n}}\n'
    for name in ("this", "on_demand")
)


@dataclass(frozen=True)
class Toolchain:
    terraform: str
    plugin_dir: Path

    def run(
        self, stack: Path, *args: str, env: dict[str, str], timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.terraform, f"-chdir={stack}", *args, "-no-color"],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def base_env() -> dict[str, str]:
    """No user CLI config (its provider_installation or credentials), no profile."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    return {**env, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "TF_CLI_CONFIG_FILE": os.devnull}


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    missing = pytest.fail if local_paths().ftm_require_terraform else pytest.skip
    terraform = shutil.which(os.environ.get("TERRAFORM_BIN", "terraform"))
    if terraform is None:
        missing("no terraform binary on PATH (TERRAFORM_BIN): cannot run the real provider")
    configured = os.environ.get("TERRAFORM_PLUGIN_DIR")
    plugin_dir = find_plugin_dir(Path(configured) if configured else None)
    if plugin_dir is None:
        missing(
            "no local AWS provider directory (TERRAFORM_PLUGIN_DIR, or terraform's implied "
            "mirror directories): providers cannot be downloaded here"
        )
    return Toolchain(terraform, plugin_dir)


def initialised_copy(
    toolchain: Toolchain,
    into: Path,
    *,
    moto: LocalCloud | None = None,
    stacks: tuple[str, ...] = STACKS,
) -> dict[str, Path]:
    """modules/ and stacks/ copied, each stack `init`ed from the local provider directory:
    without its backend, or on `moto` with its state in the S3 backend there (under the
    copy's folder name)."""
    unwanted = shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl")
    for part in ("modules", "stacks"):
        shutil.copytree(TERRAFORM / part, into / part, ignore=unwanted)
    copies = {name: into / "stacks" / name for name in stacks}
    if moto is not None:
        for stack in copies.values():
            (stack / "moto_override.tf").write_text(PROVIDER_OVERRIDE)
        (into / "modules" / "batch" / "moto_override.tf").write_text(BATCH_OVERRIDE)
    for name, stack in copies.items():
        backend, env = ("-backend=false",), base_env()
        if moto is not None:
            backend = (f"-backend-config={state_backend_file(moto, into, name)}",)
            env = moto_env(moto)
        done = toolchain.run(
            stack, "init", *backend, f"-plugin-dir={toolchain.plugin_dir}", env=env
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return copies


def state_backend(copy: Path) -> StateBackend:
    return StateBackend(bucket=STATE_BUCKET, key_prefix=f"{copy.name}/", region=REGION)


def state_backend_file(cloud: LocalCloud, copy: Path, stack: str) -> Path:
    """The state bucket, made as deploy makes it, and the `-backend-config` file for it."""
    backend = state_backend(copy)
    prepare_state_bucket(cloud.client("s3"), backend, ACCOUNT, dry_run=False, echo=lambda _: None)
    path = copy / f"{stack}.s3.tfbackend"
    path.write_text(backend_config_text({**backend.config(stack), **MOTO_BACKEND}))
    return path


@pytest.mark.unit
def test_both_stacks_validate_with_the_real_provider(toolchain: Toolchain, tmp_path: Path) -> None:
    for name, stack in initialised_copy(toolchain, tmp_path).items():
        done = toolchain.run(stack, "validate", env=base_env())
        assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"


# --- The apply on moto.


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """A moto server of our own: with AWS-managed policies, and the routes the provider needs."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    record = start_server(
        "moto-terraform",
        [sys.executable, str(MOTO_FOR_TERRAFORM), "-H", LOOPBACK, "-p", str(port)],
        url=url,
        ready=lambda: http_ok(f"{url}/moto-api/"),
        log_file=tmp_path_factory.mktemp("moto") / "moto.log",
        env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        timeout_s=120,
    )
    try:
        yield LocalCloud(endpoint_url=url, bucket="ftm-tf-data", region=REGION)
    finally:
        stop_process(record.pid)


def moto_env(cloud: LocalCloud) -> dict[str, str]:
    return {
        **base_env(),
        **MOTO_CREDENTIALS,
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


def subnets_by_zone(cloud: LocalCloud) -> tuple[str, dict[str, list[str]]]:
    ec2 = cloud.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    zones: dict[str, list[str]] = {}
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "Subnets"
    ]:
        zones.setdefault(subnet["AvailabilityZone"], []).append(subnet["SubnetId"])
    return vpc["VpcId"], zones


def write_variables(cloud: LocalCloud, into: Path, vpc: str, subnets: list[str]) -> dict[str, Path]:
    """The variable files deploy would write (`stack_variables`), for this moto account."""
    settings = DeploySettings(
        s3_bucket=cloud.bucket,
        aws_account_id=ACCOUNT,
        aws_region=REGION,
        ftm_ssm_prefix=PREFIX,
        vpc_id=vpc,
        subnet_ids=subnets,
        vllm_model_s3_uri=f"s3://{cloud.bucket}/models/qwen3-8b/",
    )
    services = images.discover_services(TERRAFORM.parent)
    registry = images.registry_host(ACCOUNT, REGION)
    uris = {s: images.image_uri(registry, settings.ftm_name, s, "abc123") for s in services}
    into.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in STACKS:
        files[name] = into / f"{name}.tfvars.json"
        files[name].write_text(json.dumps(stack_variables(name, settings, services, uris)))
    return files


def in_parallel(*calls: Any) -> list[subprocess.CompletedProcess[str]]:
    """Both stacks at once: neither reads the other, and each mostly waits on moto."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


@pytest.mark.integration
def test_both_stacks_apply_on_moto_and_destroy(
    toolchain: Toolchain,
    moto: LocalCloud,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    allows: Allows,
    job_keys: dict[str, str],
    input_keys: dict[str, str],
) -> None:
    env = moto_env(moto)
    stacks = initialised_copy(toolchain, tmp_path / "deployed", moto=moto)
    # A second copy of the platform, planned with two subnets in one zone while the first is
    # destroyed: the internal load balancer would fail at apply, so the plan must refuse.
    one_zone_stack = initialised_copy(
        toolchain, tmp_path / "one-zone", moto=moto, stacks=("platform",)
    )["platform"]
    moto.client("iam").create_role(
        RoleName="AWSServiceRoleForBatch",
        Path="/aws-service-role/batch.amazonaws.com/",
        AssumeRolePolicyDocument="{}",
    )
    vpc, zones = subnets_by_zone(moto)
    first, second = sorted(zones)[:2]
    same_zone = moto.client("ec2").create_subnet(
        VpcId=vpc, CidrBlock="172.31.96.0/20", AvailabilityZone=first
    )["Subnet"]["SubnetId"]
    variables = write_variables(moto, tmp_path, vpc, [zones[first][0], zones[second][0]])
    one_zone = write_variables(moto, tmp_path / "one-zone", vpc, [zones[first][0], same_zone])

    def terraform(stack: Path, *args: str) -> Any:
        return lambda: toolchain.run(stack, *args, env=env)

    applied = in_parallel(
        *(
            terraform(stacks[s], "apply", "-auto-approve", f"-var-file={variables[s]}")
            for s in STACKS
        )
    )
    adjusted = "\n".join(f"{k}: {v}" for k, v in MOTO_ADJUSTMENTS.items())
    for name, done in zip(STACKS, applied, strict=True):
        assert done.returncode == 0, f"{name}: {done.stdout[-3000:]}{done.stderr}\n{adjusted}"
        assert "Apply complete!" in done.stdout

    check_the_deployment(moto, monkeypatch)
    check_the_job_role(moto, allows, job_keys, input_keys)
    check_the_state(moto, tmp_path / "deployed")

    # -refresh=false: the state is what was just applied.
    *destroyed, planned = in_parallel(
        *(
            terraform(
                stacks[s], "destroy", "-auto-approve", "-refresh=false", f"-var-file={variables[s]}"
            )
            for s in STACKS
        ),
        terraform(one_zone_stack, "plan", f"-var-file={one_zone['platform']}"),
    )
    for name, done in zip(STACKS, destroyed, strict=True):
        assert done.returncode == 0, f"{name}: {done.stdout[-3000:]}{done.stderr}"
        left = toolchain.run(stacks[name], "state", "list", env=env)
        assert left.returncode == 0 and left.stdout.strip() == "", f"{name} left {left.stdout}"
    assert planned.returncode != 0
    assert "needs subnets in at least two Availability Zones" in planned.stderr, planned.stderr


def check_the_deployment(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the code and the operator rely on, read back from moto after the apply."""
    for key, value in {**cloud.env(), "FTM_USE_SSM": "true", "AWS_ACCOUNT_ID": ACCOUNT}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FTM_SSM_PREFIX", PREFIX)
    monkeypatch.delenv("S3_BUCKET")  # from SSM, as the jobs get it

    # Every handle the cloud smoke, the jobs and the model-tester box read is in SSM.
    smoke = load_settings(SmokeSettings)
    assert smoke.s3_bucket == cloud.bucket
    assert smoke.vllm_max_lifetime_h == 6
    assert smoke.state_machine_arn.endswith(":stateMachine:ftm-pipeline")

    class JobSettings(LlmSettings, FtmSettings):
        pass

    job = load_settings(JobSettings)
    assert job.llm_server_name == "vLLM"
    assert job.llm_base_url.endswith("/v1") and job.llm_model == "Qwen/Qwen3-8B"
    tester = load_settings(ModelTesterSettings)
    assert tester.remote_instance_tag == "Name=ftm-model-tester"
    registry = images.registry_host(ACCOUNT, REGION)
    assert tester.remote_image == f"{registry}/ftm/model-tester:abc123"

    check_the_lifetime_guard(cloud, smoke)
    check_the_job_queue(cloud)
    check_the_gpu_hosts(cloud)
    endpoints = cloud.client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
    services = {e["ServiceName"].rsplit(".", 1)[-1]: e for e in endpoints}
    assert services["s3"]["VpcEndpointType"] == "Gateway" and services["s3"]["RouteTableIds"]
    assert {"api", "dkr", "logs"} <= set(services)


def check_the_job_queue(cloud: LocalCloud) -> None:
    """Spot first, on-demand Fargate behind it. (moto keeps no jobStateTimeLimitActions: the
    structural test and `validate` with the real provider check those.)"""
    batch = cloud.client("batch")
    [queue] = batch.describe_job_queues(jobQueues=["ftm-jobs"])["jobQueues"]
    order = sorted(queue["computeEnvironmentOrder"], key=lambda e: e["order"])
    arns = [e["computeEnvironment"] for e in order]
    environments = {
        e["computeEnvironmentArn"]: e["computeResources"]["type"]
        for e in batch.describe_compute_environments(computeEnvironments=arns)[
            "computeEnvironments"
        ]
    }
    assert [environments[arn] for arn in arns] == ["FARGATE_SPOT", "FARGATE"]


def check_the_lifetime_guard(cloud: LocalCloud, smoke: SmokeSettings) -> None:
    """The alarm's actions are the two to-zero policies, and the ASG's really scales to zero."""
    [alarm] = cloud.client("cloudwatch").describe_alarms(AlarmNames=["ftm-gpu-lifetime"])[
        "MetricAlarms"
    ]
    assert alarm["MetricName"] == "GroupDesiredCapacity"
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 6 * 3600
    autoscaling = cloud.client("autoscaling")
    [policy] = autoscaling.describe_policies(AutoScalingGroupName=smoke.vllm_asg_name)[
        "ScalingPolicies"
    ]
    [service_policy] = cloud.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="ecs"
    )["ScalingPolicies"]
    assert alarm["AlarmActions"] == [policy["PolicyARN"], service_policy["PolicyARN"]]
    autoscaling.set_desired_capacity(AutoScalingGroupName=smoke.vllm_asg_name, DesiredCapacity=1)
    autoscaling.execute_policy(
        AutoScalingGroupName=smoke.vllm_asg_name, PolicyName=policy["PolicyName"]
    )
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[smoke.vllm_asg_name])[
        "AutoScalingGroups"
    ]
    assert group["DesiredCapacity"] == 0


def check_the_gpu_hosts(cloud: LocalCloud) -> None:
    """vLLM on the Amazon Linux 2023 GPU AMI with a real /dev/shm; the tester box's container
    gets credentials (IMDSv2, hop limit 2, an instance profile)."""
    ec2 = cloud.client("ec2")
    al2023 = cloud.client("ssm").get_parameter(
        Name="/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
    )["Parameter"]["Value"]
    templates = {
        t["LaunchTemplateName"]: ec2.describe_launch_template_versions(
            LaunchTemplateId=t["LaunchTemplateId"]
        )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        for t in ec2.describe_launch_templates()["LaunchTemplates"]
    }
    [vllm_host] = [data for name, data in templates.items() if name.startswith("ftm-gpu-")]
    tester = templates["ftm-model-tester"]
    assert vllm_host["ImageId"] == tester["ImageId"] == al2023
    assert tester["MetadataOptions"]["HttpTokens"] == "required"
    assert tester["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    assert tester["IamInstanceProfile"]["Arn"].endswith(":instance-profile/ftm-model-tester")
    # The tester box stops (not terminates) when its idle timer powers it off.
    assert tester["InstanceInitiatedShutdownBehavior"] == "stop"
    tester_boot = base64.b64decode(tester["UserData"]).decode()
    script = (TERRAFORM / "modules" / "tester" / "idle_stop.sh").read_text().rstrip("\n")
    assert f"<<'SCRIPT'\n{script}\nSCRIPT\n" in tester_boot
    assert "Environment=IDLE_MINUTES=30\n" in tester_boot
    # vLLM's hosts: the models folder the task mounts, owned by the image's user; a root
    # volume provisioned above gp3's baseline for the image pull and the weight sync.
    vllm_boot = base64.b64decode(vllm_host["UserData"]).decode()
    assert "install -d -m 0755 -o 10001 -g 10001 /var/lib/ftm/models\n" in vllm_boot
    [root] = vllm_host["BlockDeviceMappings"]
    assert root["Ebs"]["VolumeType"] == "gp3" and root["Ebs"]["Throughput"] == 400
    assert root["Ebs"]["Iops"] == 3000
    attached = cloud.client("iam").list_attached_role_policies(RoleName="ftm-gpu-instance")
    assert "AmazonSSMManagedInstanceCore" in {p["PolicyName"] for p in attached["AttachedPolicies"]}
    check_the_vllm_task(cloud)


def check_the_vllm_task(cloud: LocalCloud) -> None:
    """Settings under FTM_VLLM_, the weights in the host folder, a soft memory reservation."""
    task = cloud.client("ecs").describe_task_definition(taskDefinition="ftm-vllm")["taskDefinition"]
    [container] = task["containerDefinitions"]
    assert container["linuxParameters"]["sharedMemorySize"] == 4096
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment == {
        "FTM_VLLM_SERVED_MODEL": "Qwen/Qwen3-8B",
        "FTM_VLLM_MODEL_S3_URI": "s3://ftm-tf-data/models/qwen3-8b/",
        "FTM_VLLM_MODEL_PATH": "/models/qwen-qwen3-8b",
        "FTM_VLLM_PORT": "8000",
        "AWS_REGION": REGION,
        "HF_HUB_OFFLINE": "1",
    }
    assert container["mountPoints"] == [
        {"sourceVolume": "models", "containerPath": "/models", "readOnly": False}
    ]
    [volume] = task["volumes"]
    assert volume["name"] == "models" and volume["host"]["sourcePath"] == "/var/lib/ftm/models"
    assert container["memoryReservation"] == 12288 and "memory" not in container


def check_the_job_role(
    cloud: LocalCloud, allows: Allows, job_keys: dict[str, str], input_keys: dict[str, str]
) -> None:
    """The rendered job policy: every output writable and deletable, every input only read."""
    iam = cloud.client("iam")
    [name] = iam.list_role_policies(RoleName="ftm-batch-job")["PolicyNames"]
    policy = iam.get_role_policy(RoleName="ftm-batch-job", PolicyName=name)["PolicyDocument"]
    if isinstance(policy, str):
        policy = json.loads(urllib.parse.unquote(policy))
    bucket = f"arn:aws:s3:::{cloud.bucket}"
    for key in job_keys.values():
        for action in ("s3:PutObject", "s3:DeleteObject", "s3:GetObject"):
            assert allows(policy, action, f"{bucket}/{key}"), (action, key)
    for key in [*input_keys.values(), "models/qwen3-8b/model-00001-of-00005.safetensors"]:
        assert allows(policy, "s3:GetObject", f"{bucket}/{key}"), key
        for action in ("s3:PutObject", "s3:DeleteObject"):
            assert not allows(policy, action, f"{bucket}/{key}"), (action, key)


def check_the_state(cloud: LocalCloud, copy: Path) -> None:
    """Each stack's state is an object in the versioned state bucket, and no lock is left."""
    backend = state_backend(copy)
    s3 = cloud.client("s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=backend.bucket)["Contents"]}
    assert {backend.key(stack) for stack in STACKS} <= keys
    assert not [key for key in keys if key.endswith(".tflock")], keys
    versioning = s3.get_bucket_versioning(Bucket=backend.bucket)
    assert versioning["Status"] == "Enabled"
