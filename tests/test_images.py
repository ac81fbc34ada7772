"""The built map-worker and reduce-worker images, end to end on a few firms: a moto container
stands in for S3 and SSM, the local LLM server for vLLM, and each stage of the pipeline runs
as its image's container with the command the state machine gives its Batch job
(testcontainers).

It needs a Docker engine and the two images (`IMAGE_TAG`, default `dev`, as `nox -s build`
tags them); where either is missing it skips and says which. The images workflow builds both
and runs it (`nox -s tests_images`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud, provision
from ftm_local.process import LOOPBACK, free_port, http_ok
from ftm_ops.validate import expectations_checklist
from ftm_shared import pipeline
from ftm_shared.config import FtmSettings, load_settings
from ftm_shared.llm.config import LlmConfig
from ftm_shared.plan import executed_plan
from ftm_shared.storage import ObjectStore

pytestmark = pytest.mark.integration

IMAGE_TAG = os.environ.get("IMAGE_TAG", "dev")
MOTO_IMAGE = "motoserver/moto:5.2.5"  # the moto ftm-local pins
QUARTER, FIRMS = "2017Q1", 4
STAGE_TIMEOUT_S = 1800


@pytest.fixture(scope="module")
def docker_engine() -> None:
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as error:  # no engine, no socket, no permission: all mean "cannot run"
        pytest.skip(f"no Docker engine answers here ({error}); CI's images workflow runs this")
    for service in ("map-worker", "reduce-worker"):
        try:
            client.images.get(f"ftm/{service}:{IMAGE_TAG}")
        except docker.errors.ImageNotFound:
            pytest.skip(
                f"image ftm/{service}:{IMAGE_TAG} is not built: "
                f"IMAGE_TAG={IMAGE_TAG} nox -s 'build(service=\"{service}\")'"
            )


@pytest.fixture(scope="module")
def moto_container(docker_engine: None) -> Iterator[LocalCloud]:
    """moto as a container, on the host's network so the stage containers reach it too."""
    from testcontainers.core.container import DockerContainer

    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    container = (
        DockerContainer(MOTO_IMAGE)
        .with_env("MOTO_PORT", str(port))
        .with_kwargs(network_mode="host")
    )
    with container:
        deadline = time.monotonic() + 120
        while not http_ok(f"{url}/moto-api/"):
            assert time.monotonic() < deadline, f"moto did not answer: {container.get_logs()}"
            time.sleep(0.5)
        yield LocalCloud(endpoint_url=url, bucket="ftm-images")


def run_stage(service: str, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """One stage as its image's container, as Batch runs the job; its exit code and log."""
    from testcontainers.core.container import DockerContainer

    # Ray keeps its object store in /dev/shm: Docker's 64 MB default is too small.
    image = f"ftm/{service}:{IMAGE_TAG}"
    container = DockerContainer(image).with_kwargs(network_mode="host", shm_size="1g")
    for key, value in env.items():
        container = container.with_env(key, value)
    with container.with_command(args) as running:
        result = running.get_wrapped_container().wait(timeout=STAGE_TIMEOUT_S)
        stdout, stderr = running.get_logs()
    return int(result["StatusCode"]), (stdout + stderr).decode(errors="replace")


def test_the_images_run_a_quarter_of_a_few_firms(
    moto_container: LocalCloud,
    llm_config: LlmConfig,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cloud = moto_container
    provision(cloud)
    for key, value in cloud.env().items():
        monkeypatch.setenv(key, value)
    sentences = data_dir / "earnings_calls" / "maec_2017h1_sentences.parquet"
    ingested = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftm_ops",
            "ingest",
            "--quarter",
            QUARTER,
            "--firms",
            f"{FIRMS}",
            str(sentences),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ingested.returncode == 0, ingested.stderr
    env = {
        **cloud.env(),
        "LLM_BASE_URL": llm_config.base_url,
        "LLM_MODEL": llm_config.model,
        "LLM_RESPONSE_FORMAT": llm_config.response_format,
        "MAP_SHARD_FIRMS": str(FIRMS // 2),  # two shards, as on AWS
    }
    store = ObjectStore.from_settings(load_settings(FtmSettings))
    execution = f"images-{int(time.time())}"
    values = {"quarter": QUARTER, "bucket": cloud.bucket, "execution": execution, "new_run": "true"}
    for stage in pipeline.STAGES:
        exit_code, log = run_stage(stage.service, stage.command(values), env)
        assert pipeline.lets_next_stage_run(exit_code), f"{stage.name} exited {exit_code}:\n{log}"
        # What the state machine's ReadPlan state does after the plan job.
        values.setdefault("run_id", executed_plan(store, QUARTER, execution)["run_id"])
    checklist = expectations_checklist(load_settings(FtmSettings), QUARTER)
    assert checklist.passed, checklist.render()
