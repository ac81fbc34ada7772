"""Are vLLM's weights where its task syncs them from? vLLM runs offline: without config.json
and the *.safetensors files under VLLM_MODEL_S3_URI it never becomes healthy, and the GPU
bills until the smoke's ready timeout."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from ftm_ops.cloud.errors import CloudError
from ftm_shared.checklist import Criterion

# The vLLM task's settings as terraform/modules/ecs writes them (vllm-server's FTM_VLLM_*).
TASK_WEIGHTS_URI = "FTM_VLLM_MODEL_S3_URI"
TASK_SERVED_MODEL = "FTM_VLLM_SERVED_MODEL"
UPLOAD = "`uv run ftm cloud upload-weights`"


def stored(s3: Any, uri: str, model: str) -> Criterion:
    """config.json and at least one *.safetensors directly under the prefix."""
    name = f"vLLM weights of {model}"
    parsed = urlparse(uri)
    bucket, prefix = parsed.netloc, parsed.path.lstrip("/")
    try:
        keys = [
            item["Key"].removeprefix(prefix)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
    except ClientError as error:
        code = error.response["Error"]["Code"]
        fix = "deploy creates the data bucket; then " if code == "NoSuchBucket" else ""
        return Criterion(name, False, detail=f"cannot list {uri} ({code}): {fix}{UPLOAD}")
    shards = [key for key in keys if "/" not in key and key.endswith(".safetensors")]
    missing = [
        what
        for what, ok in (("config.json", "config.json" in keys), ("*.safetensors", bool(shards)))
        if not ok
    ]
    if missing:
        return Criterion(
            name,
            False,
            detail=f"no {' or '.join(missing)} under {uri} (VLLM_MODEL_S3_URI): {UPLOAD}",
        )
    return Criterion(name, True, detail=f"config.json and {len(shards)} *.safetensors in {uri}")


def deployed_source(ecs: Any, cluster: str, service: str) -> tuple[str, str]:
    """(weights URI, served model) of the deployed vLLM task: what it will really sync."""
    found = ecs.describe_services(cluster=cluster, services=[service])["services"]
    if not found:
        raise CloudError(f"ECS service {service} is not in cluster {cluster}: run `nox -s deploy`")
    definition = ecs.describe_task_definition(taskDefinition=found[0]["taskDefinition"])
    environment = {
        variable["name"]: variable["value"]
        for container in definition["taskDefinition"]["containerDefinitions"]
        for variable in container.get("environment", [])
    }
    if TASK_WEIGHTS_URI not in environment:
        raise CloudError(
            f"vLLM's task definition ({found[0]['taskDefinition']}) sets no {TASK_WEIGHTS_URI}: "
            "re-deploy with this checkout (`nox -s deploy`)"
        )
    return environment[TASK_WEIGHTS_URI], environment.get(TASK_SERVED_MODEL, "the served model")
