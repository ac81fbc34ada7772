"""vLLM's task and hosts: its settings under FTM_VLLM_ (vLLM owns every VLLM_* variable), the
weights in a host folder mounted into the task, a soft memory reservation the host can hold,
a root volume sized and provisioned for the image and the weights, and SSM on the hosts. The
rendered task and launch template are checked after the apply on moto
(test_terraform_provider.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SERVER_SETTINGS = {"FTM_VLLM_SERVED_MODEL", "FTM_VLLM_MODEL_S3_URI", "FTM_VLLM_MODEL_PATH"}
# g5.xlarge, the default GPU_INSTANCE_TYPE.
HOST_MEMORY_MIB = 16384
GP3_BASELINE_MIBPS = 125


def environment_keys(expression: str) -> set[str]:
    return set(re.findall(r"\b([A-Z][A-Z0-9_]+)\s*=", expression))


def test_the_server_settings_use_the_ftm_prefix(
    modules: dict[str, Any], stacks: dict[str, Any]
) -> None:
    ecs = modules["ecs"]["locals"]
    keys = environment_keys(ecs["environment"])
    assert keys >= SERVER_SETTINGS | {"FTM_VLLM_PORT", "AWS_REGION"}
    given = stacks["platform"]["module"]["ecs"]["vllm_environment"]
    assert not [k for k in keys | set(given) if k.startswith("VLLM_")], "vLLM reads VLLM_*"
    assert (
        "local.environment"
        in modules["ecs"]["resource"]["aws_ecs_task_definition.vllm"]["container_definitions"]
    )
    assert modules["ecs"]["locals"]["settings"]["llm_model"] == "${var.served_model}"


def test_the_weights_live_in_a_host_folder_the_server_may_write(modules: dict[str, Any]) -> None:
    ecs = modules["ecs"]
    task = ecs["resource"]["aws_ecs_task_definition.vllm"]
    assert task["volume"] == [{"name": "models", "host_path": "${local.host_models_dir}"}]
    assert ecs["locals"]["host_models_dir"] == "/var/lib/ftm/models"
    assert ecs["locals"]["container_models_dir"] == "/models"
    assert (
        'sourceVolume = "models", containerPath = local.container_models_dir'
        in (task["container_definitions"])
    )
    assert '"${local.container_models_dir}/${local.model_slug}"' in ecs["locals"]["environment"]
    # The host folder belongs to the image's user before the ECS agent starts the task.
    user_data = ecs["resource"]["aws_launch_template.gpu"]["user_data"]
    install = "install -d -m 0755 -o ${local.container_uid} -g ${local.container_uid}"
    assert f"{install} ${{local.host_models_dir}}" in user_data
    dockerfile = (REPO / "services" / "vllm-server" / "Dockerfile").read_text()
    uid = ecs["locals"]["container_uid"]
    assert re.search(rf"^USER {uid}$", dockerfile, re.MULTILINE)
    assert f"--uid {uid} " in dockerfile


def test_the_task_reserves_memory_the_host_keeps_room_beside(modules: dict[str, Any]) -> None:
    ecs = modules["ecs"]
    definitions = ecs["resource"]["aws_ecs_task_definition.vllm"]["container_definitions"]
    assert "memoryReservation = var.task_memory_reservation_mib" in definitions
    assert not re.search(r"[{,]\s*memory\s*=", definitions), "no hard limit under the host's"
    variables = ecs["variable"]
    reserved = variables["task_memory_reservation_mib"]["default"]
    assert reserved + variables["host_reserved_memory_mib"]["default"] <= HOST_MEMORY_MIB
    [check] = ecs["resource"]["aws_ecs_task_definition.vllm"]["lifecycle"][0]["precondition"]
    assert "data.aws_ec2_instance_type.gpu" in check["condition"]
    assert "var.host_reserved_memory_mib" in check["condition"]


def test_the_root_volume_fits_the_image_and_weights_fast(modules: dict[str, Any]) -> None:
    ecs = modules["ecs"]
    [ebs] = ecs["resource"]["aws_launch_template.gpu"]["block_device_mappings"][0]["ebs"]
    assert ebs["volume_type"] == "gp3"
    assert ebs["throughput"] == "${var.root_volume_throughput_mibps}"
    assert ebs["iops"] == "${var.root_volume_iops}"
    variables = ecs["variable"]
    assert variables["root_volume_throughput_mibps"]["default"] > GP3_BASELINE_MIBPS
    throughput = variables["root_volume_throughput_mibps"]["default"]
    assert throughput <= variables["root_volume_iops"]["default"] / 4, "gp3's ratio"
    assert variables["root_volume_gb"]["default"] >= 100
    assert "var.root_volume_gb >= 100" in variables["root_volume_gb"]["validation"][0]["condition"]


def test_gpu_hosts_run_the_ssm_agent_with_its_permissions(modules: dict[str, Any]) -> None:
    iam = modules["iam"]["resource"]
    attachments = {
        body["policy_arn"].rsplit("/", 1)[-1]
        for address, body in iam.items()
        if address.startswith("aws_iam_role_policy_attachment.")
        and body["role"] == "${aws_iam_role.gpu_instance[0].name}"
    }
    assert attachments == {"AmazonEC2ContainerServiceforEC2Role", "AmazonSSMManagedInstanceCore"}
