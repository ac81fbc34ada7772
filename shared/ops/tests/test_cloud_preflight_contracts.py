"""What preflight and the idle cost assume about the terraform modules, read from them: a
change on one side that the other does not follow fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ftm_ops.cloud import cost, local_tools, quotas, stored_weights

pytestmark = pytest.mark.unit
TERRAFORM = Path(__file__).resolve().parents[3] / "terraform"


def block(text: str, header: str) -> str:
    """The body of the block opening with `header` (up to the first line that closes it)."""
    start = text.index(header)
    return text[start : text.index("\n}\n", start)]


def test_the_interface_endpoints_are_the_network_modules() -> None:
    network = (TERRAFORM / "modules" / "network" / "main.tf").read_text()
    endpoints = block(network, 'resource "aws_vpc_endpoint" "interface"')
    listed = re.search(r"toset\(\[([^\]]*)\]\)", endpoints)
    assert listed is not None
    assert tuple(re.findall(r'"([^"]+)"', listed.group(1))) == cost.INTERFACE_ENDPOINTS


def test_the_on_demand_base_is_the_ecs_modules() -> None:
    variables = (TERRAFORM / "modules" / "ecs" / "variables.tf").read_text()
    base = block(variables, 'variable "on_demand_base_capacity"')
    assert f"default     = {quotas.GPU_ON_DEMAND_BASE}" in base


@pytest.mark.parametrize("stack", ["foundation", "platform"])
def test_the_terraform_minimum_is_the_stacks(stack: str) -> None:
    versions = (TERRAFORM / "stacks" / stack / "versions.tf").read_text()
    required = re.search(r'required_version\s*=\s*">=\s*(\d+)\.(\d+)"', versions)
    assert required is not None
    assert tuple(int(part) for part in required.groups()) == local_tools.MIN_TERRAFORM


def test_the_weights_variables_are_the_ones_the_vllm_task_gets() -> None:
    ecs = (TERRAFORM / "modules" / "ecs" / "main.tf").read_text()
    for variable in (stored_weights.TASK_WEIGHTS_URI, stored_weights.TASK_SERVED_MODEL):
        assert re.search(rf"^\s+{variable}\s+=", ecs, re.MULTILINE), variable
