"""The modules' contracts: typed and described variables, nothing account-specific written
in, module calls that match their modules, and SSM parameters the settings really read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ftm_ops.cloud import images
from ftm_ops.cloud.settings import DeploySettings, SmokeSettings
from ftm_ops.cloud.terraform import stack_variables
from ftm_shared.config import FtmSettings
from ftm_shared.llm import LlmSettings
from model_tester.config import ModelTesterSettings

pytestmark = pytest.mark.unit

TERRAFORM = Path(__file__).resolve().parents[1]
MODULE_FILES = {"main.tf", "variables.tf", "outputs.tf", "versions.tf"}
ACCOUNT_ID = re.compile(r"(?<![\d.])\d{12}(?![\d.])")
REGION = re.compile(r"\b(us|eu|ap|sa|ca|me|af|il|mx)-(gov-)?[a-z]+-\d\b")
LITERAL_BUCKET = re.compile(r"""\bbucket(_name)?\s*=\s*"[^"$]*"|s3://[a-z0-9]""")


def sources() -> list[Path]:
    return sorted(
        p for p in TERRAFORM.rglob("*") if p.suffix in {".tf", ".json"} and "tests" not in p.parts
    )


def test_every_module_has_the_standard_files(modules: dict[str, Any]) -> None:
    for name in modules:
        present = {p.name for p in (TERRAFORM / "modules" / name).glob("*.tf")}
        assert present >= MODULE_FILES, f"{name}: missing {MODULE_FILES - present}"


def test_variables_typed_and_described_outputs_described(
    modules: dict[str, Any], stacks: dict[str, Any]
) -> None:
    for where, parsed in {**modules, **stacks}.items():
        for name, variable in parsed["variable"].items():
            assert variable.get("type"), f"{where}: variable {name} has no type"
            assert variable.get("description"), f"{where}: variable {name} has no description"
        for name, output in parsed["output"].items():
            assert output.get("description"), f"{where}: output {name} has no description"


@pytest.mark.parametrize("pattern", [ACCOUNT_ID, REGION, LITERAL_BUCKET], ids=str)
def test_nothing_account_specific_is_written_in(pattern: re.Pattern[str]) -> None:
    for path in sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            # Comments and descriptions may show a format (s3://bucket/prefix/).
            if line.lstrip().startswith(("#", "//", "description", "error_message")):
                continue
            assert not pattern.search(line), f"{path.relative_to(TERRAFORM)}:{number}: {line}"


def test_module_calls_match_the_modules(modules: dict[str, Any], stacks: dict[str, Any]) -> None:
    for stack, parsed in stacks.items():
        for call, arguments in parsed["module"].items():
            module = modules[Path(arguments["source"]).name]
            given = set(arguments) - {"source"}
            declared = set(module["variable"])
            required = {n for n, v in module["variable"].items() if "default" not in v}
            assert given <= declared, f"{stack}.{call}: unknown inputs {given - declared}"
            assert required <= given, f"{stack}.{call}: missing inputs {required - given}"
            for value in map(str, arguments.values()):
                for other, output in re.findall(r"module\.(\w+)\.(\w+)", value):
                    target = modules[Path(parsed["module"][other]["source"]).name]
                    assert output in target["output"], f"{stack}: module.{other}.{output}"


def example_settings() -> DeploySettings:
    return DeploySettings(
        s3_bucket="example-bucket",
        aws_account_id="000000000000",
        vpc_id="vpc-1",
        subnet_ids=["subnet-1", "subnet-2"],
        vllm_model_s3_uri="s3://example-bucket/models/m/",
    )


@pytest.mark.parametrize("stack", ["foundation", "platform"])
def test_deploy_passes_exactly_the_stack_variables(stacks: dict[str, Any], stack: str) -> None:
    services = images.discover_services(TERRAFORM.parent)
    passed = set(stack_variables(stack, example_settings(), services, {}))
    declared = set(stacks[stack]["variable"])
    required = {n for n, v in stacks[stack]["variable"].items() if "default" not in v}
    assert passed <= declared, passed - declared
    assert required <= passed, required - passed


def published_settings(modules: dict[str, Any]) -> set[str]:
    """Keys of every `aws_ssm_parameter` (named `${var.ssm_prefix}${each.key}`)."""
    keys: set[str] = set()
    for parsed in modules.values():
        for address, body in parsed["resource"].items():
            if not address.startswith("aws_ssm_parameter."):
                continue
            assert body["name"] == "${var.ssm_prefix}${each.key}", address
            values = body["for_each"]
            if isinstance(values, str):  # "${local.settings}"
                values = parsed["locals"][values.removeprefix("${local.").removesuffix("}")]
            keys |= set(values)
    return keys


def test_ssm_parameters_are_settings_the_code_reads(modules: dict[str, Any]) -> None:
    published = published_settings(modules)
    readable = set(FtmSettings.model_fields) | set(LlmSettings.model_fields)
    readable |= set(SmokeSettings.model_fields) | set(ModelTesterSettings.model_fields)
    assert published <= readable, f"nothing reads {published - readable}"
    handles = {n for n, f in SmokeSettings.model_fields.items() if f.is_required()}
    needed = handles - {"aws_account_id"} | {"llm_base_url", "llm_model"}
    assert needed <= published, f"never published: {needed - published}"


def test_ecr_repository_names_match_deploy(modules: dict[str, Any]) -> None:
    repository = modules["storage"]["resource"]["aws_ecr_repository.service"]
    rendered = repository["name"].replace("${var.name}", "NAME").replace("${each.key}", "SVC")
    assert rendered == images.repository_name("NAME", "SVC")
    foundation = Path(TERRAFORM / "stacks" / "platform" / "main.tf").read_text()
    for service in images.discover_services(TERRAFORM.parent):
        if service != "model-tester":  # runs on its own EC2 box, not in the platform stack
            assert f'var.image_uris["{service}"]' in foundation


@pytest.mark.parametrize("stack", ["foundation", "platform"])
def test_state_goes_to_the_s3_backend_deploy_configures(stacks: dict[str, Any], stack: str) -> None:
    """An empty `backend "s3" {}`: bucket, key and region come from deploy's
    `-backend-config` file (ftm_ops.cloud.state_backend), never written in; locking by
    `use_lockfile` needs terraform 1.10."""
    [settings] = stacks[stack]["terraform"]
    assert settings["backend"] == [{"s3": {}}]
    assert settings["required_version"] == ">= 1.10"
