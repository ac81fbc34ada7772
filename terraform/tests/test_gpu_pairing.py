"""The GPU AMI's NVIDIA driver must run the pinned vLLM image: both are pinned in this
repository (the platform stack's AMI parameter, vllm-server's FROM line), so they change
together or this fails.

Facts (AWS's ECS-optimised AMI release notes, vLLM's images): vllm/vllm-openai from v0.9 is
built on CUDA 12.8 and refuses a driver that supports less ("unsatisfied condition:
cuda>=12.8"); the Amazon Linux 2 ECS GPU AMI ships driver 550 (CUDA 12.4), the Amazon Linux
2023 one a 580-series driver (CUDA 13.0).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
# The CUDA version each ECS GPU AMI family's driver supports, by its public SSM parameter.
AMI_DRIVER_CUDA = {
    "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id": (12, 4),
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id": (13, 0),
}


def vllm_image_cuda(version: tuple[int, ...]) -> tuple[int, int]:
    """The CUDA version a vllm/vllm-openai release is built on (and so demands)."""
    return (12, 8) if version >= (0, 9) else (12, 4)


def pinned_vllm_version() -> tuple[int, ...]:
    dockerfile = (REPO / "services" / "vllm-server" / "Dockerfile").read_text()
    found = re.search(
        r"^FROM (?:--platform=\S+ )?vllm/vllm-openai:v([\d.]+)\s*$", dockerfile, re.MULTILINE
    )
    assert found, "vllm-server's Dockerfile no longer starts FROM a pinned vllm/vllm-openai tag"
    return tuple(int(part) for part in found.group(1).split("."))


def test_the_gpu_ami_runs_the_pinned_vllm_image(stacks: dict[str, Any]) -> None:
    ami = stacks["platform"]["locals"]["gpu_ami_ssm_parameter"]
    assert ami in AMI_DRIVER_CUDA, f"unknown GPU AMI {ami}: add its driver's CUDA version here"
    needed = vllm_image_cuda(pinned_vllm_version())
    assert AMI_DRIVER_CUDA[ami] >= needed, (
        f"{ami} supports CUDA {AMI_DRIVER_CUDA[ami]}, vLLM {pinned_vllm_version()} needs {needed}"
    )


def test_the_old_pairing_is_the_one_that_failed() -> None:
    """The check would have caught the day-one failure: AL2 with vLLM v0.11."""
    al2 = AMI_DRIVER_CUDA["/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"]
    assert al2 < vllm_image_cuda((0, 11, 0))


def test_every_gpu_host_takes_the_paired_ami(stacks: dict[str, Any]) -> None:
    for call in ("ecs", "tester"):
        module = stacks["platform"]["module"][call]
        assert module["ami_ssm_parameter"] == "${local.gpu_ami_ssm_parameter}", call
