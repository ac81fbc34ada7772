"""`ftm cloud deploy`: the commands it runs, in order, and the boto3 parts against moto."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ftm_local.cloud import LocalCloud
from ftm_ops.cloud import images
from ftm_ops.cloud.commands import Command
from ftm_ops.cloud.deploy import deploy
from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.settings import DeploySettings
from ftm_ops.cloud.state_backend import StateBackend
from ftm_ops.cloud.terraform import STACKS
from ftm_shared.config import SettingsError, load_settings

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = "123456789012"  # moto's account
DEPLOY_ENV = {
    "AWS_ACCOUNT_ID": ACCOUNT,
    "VPC_ID": "vpc-0abc",
    "SUBNET_IDS": "subnet-a, subnet-b",
    "VLLM_MODEL_S3_URI": "s3://weights-bucket/models/qwen3-8b/",
    "IMAGE_TAG": "abc123",
}


@dataclass
class RecordingRunner:
    """Records commands instead of running them (no docker, no terraform here)."""

    dry_run: bool = False
    commands: list[Command] = field(default_factory=list)

    def run(self, command: Command, *, read_only: bool = False, capture: bool = False) -> str:
        self.commands.append(command)
        return ""

    def argvs(self) -> list[tuple[str, ...]]:
        return [c.argv for c in self.commands]


@pytest.fixture
def deploy_env(local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> LocalCloud:
    for key, value in DEPLOY_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return local_cloud


def flow(runner: RecordingRunner) -> list[str]:
    """Each command as `tool verb` (terraform's stack from -chdir), in order."""
    steps = []
    for argv in runner.argvs():
        if argv[0] == "docker":
            steps.append(f"docker {argv[1]}")
        else:
            chdir = next(a for a in argv if a.startswith("-chdir="))
            verb = argv[argv.index(chdir) + 1]
            steps.append(f"terraform {verb} {Path(chdir).name}")
    return steps


@pytest.mark.integration
def test_deploy_plans_confirms_applies_and_pushes_in_order(
    deploy_env: LocalCloud, tmp_path: Path
) -> None:
    runner, lines, asked = RecordingRunner(), [], []
    settings = load_settings(DeploySettings)
    deploy(
        settings,
        REPO,
        runner,
        echo=lines.append,
        confirm=lambda q: asked.append(q) or True,
        work_dir=tmp_path,
    )
    services = images.discover_services(REPO)
    per_service = [step for _ in services for step in ("docker buildx", "docker push")]
    assert flow(runner) == [
        "docker info",
        "terraform init foundation",
        "terraform plan foundation",
        "terraform init platform",
        "terraform plan platform",
        "terraform apply foundation",
        "docker login",
        *per_service,
        "terraform apply platform",
    ]
    assert asked == ["Apply these plans?"]
    assert f"account {ACCOUNT}" in lines[1]
    # The login used a real ECR token from moto, through stdin, never argv.
    login = next(c for c in runner.commands if c.argv[:2] == ("docker", "login"))
    assert login.stdin and login.stdin not in login.display()
    registry = f"{ACCOUNT}.dkr.ecr.{settings.aws_region}.amazonaws.com"
    builds = [c for c in runner.commands if c.argv[:3] == ("docker", "buildx", "build")]
    # Every image is built for the cloud's CPU (amd64), whatever the laptop's, and gets the
    # pinned versions (pins.env) as build args, as in CI; the GPU box's model-tester image
    # also takes PyPI's (CUDA) torch.
    pins = images.read_pins(REPO)
    assert {"UV_VERSION", "TORCH_VERSION"} <= set(pins)
    cuda = {"TORCH_INDEX_URL": "https://pypi.org/simple"}

    def flags(args: dict[str, str]) -> list[str]:
        return [arg for key in sorted(args) for arg in ("--build-arg", f"{key}={args[key]}")]

    assert [c.argv for c in builds] == [
        (
            "docker",
            "buildx",
            "build",
            "--platform",
            "linux/amd64",
            "--load",
            "-f",
            f"services/{s}/Dockerfile",
            *flags({**pins, **(cuda if s == "model-tester" else {})}),
            "-t",
            f"{registry}/ftm/{s}:abc123",
            ".",
        )
        for s in services
    ]
    assert all(c.cwd == REPO for c in builds)
    # Plans are applied as planned: apply takes the saved plan file.
    applies = [c.argv for c in runner.commands if "apply" in c.argv]
    assert [a[-1] for a in applies] == [str(tmp_path / f"{s}.tfplan") for s in STACKS]
    # Each stack's state goes to the state bucket, which deploy made before the first init.
    backend = StateBackend.from_settings(settings)
    inits = [c.argv for c in runner.commands if "init" in c.argv]
    for stack, argv in zip(STACKS, inits, strict=True):
        backend_file = tmp_path / f"{stack}.s3.tfbackend"
        assert f"-backend-config={backend_file}" in argv
        assert f'key = "{backend.key(stack)}"\n' in backend_file.read_text()
        assert f'bucket = "{backend.bucket}"\n' in backend_file.read_text()
    s3 = deploy_env.client("s3")
    assert s3.get_bucket_versioning(Bucket=backend.bucket)["Status"] == "Enabled"
    assert f"== terraform state: s3://{backend.bucket}/ftm/<stack>.tfstate" in "".join(lines)


MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": "sha256:" + "0" * 64, "size": 1},
        "layers": [],
    }
)


@pytest.mark.integration
def test_an_image_already_in_ecr_is_not_pushed_again(
    deploy_env: LocalCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ECR tags are immutable and a tag hashes what its image is built from: re-deploying an
    unchanged service skips its image instead of failing at `docker push`."""
    name = f"t{uuid.uuid4().hex[:8]}"  # repositories of its own on the session's moto
    monkeypatch.setenv("FTM_NAME", name)
    ecr = deploy_env.client("ecr")
    ecr.create_repository(repositoryName=f"{name}/map-worker")
    ecr.put_image(repositoryName=f"{name}/map-worker", imageManifest=MANIFEST, imageTag="abc123")
    runner, lines = RecordingRunner(), []
    deploy(
        load_settings(DeploySettings),
        REPO,
        runner,
        echo=lines.append,
        confirm=lambda _q: True,
        work_dir=tmp_path,
    )
    built = [c.argv[-2] for c in runner.commands if c.argv[:3] == ("docker", "buildx", "build")]
    pushed = [c.argv[-1] for c in runner.commands if c.argv[:2] == ("docker", "push")]
    assert not any(f"/{name}/map-worker:" in uri for uri in built + pushed)
    assert any(f"/{name}/reduce-worker:abc123" in uri for uri in pushed)
    assert any(
        line.endswith(
            f"/{name}/map-worker:abc123 is already in ECR (its tag hashes what it is built "
            "from): not rebuilt"
        )
        for line in lines
    )


@pytest.mark.integration
def test_declined_confirmation_applies_nothing(deploy_env: LocalCloud, tmp_path: Path) -> None:
    runner = RecordingRunner()
    with pytest.raises(CloudError, match="nothing was applied"):
        deploy(
            load_settings(DeploySettings),
            REPO,
            runner,
            echo=lambda _line: None,
            confirm=lambda _q: False,
            work_dir=tmp_path,
        )
    assert not any("apply" in argv or "push" in argv for argv in runner.argvs())


@pytest.mark.integration
def test_wrong_account_stops_before_any_command(
    deploy_env: LocalCloud, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ACCOUNT_ID", "999999999999")
    runner = RecordingRunner()
    with pytest.raises(CloudError, match="belong to account 123456789012"):
        deploy(
            load_settings(DeploySettings),
            REPO,
            runner,
            echo=lambda _line: None,
            confirm=lambda _q: True,
            assume_yes=True,
            work_dir=tmp_path,
        )
    assert runner.commands == []


@pytest.mark.integration
def test_ecr_login_through_boto3(deploy_env: LocalCloud) -> None:
    command = images.ecr_login_command(deploy_env.client("ecr"))
    assert command.argv[:5] == ("docker", "login", "--username", "AWS", "--password-stdin")
    assert command.argv[5] == f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    token = deploy_env.client("ecr").get_authorization_token()["authorizationData"][0]
    assert base64.b64decode(token["authorizationToken"]).decode() == f"AWS:{command.stdin}"


@pytest.mark.integration
def test_dry_run_prints_every_command_and_skips_plans_without_providers(
    deploy_env: LocalCloud, tmp_path: Path
) -> None:
    # A terraform whose init fails the way it does without registry access.
    fake = tmp_path / "terraform"
    fake.write_text(
        "#!/bin/sh\necho 'Error: Failed to query available provider packages' >&2\nexit 1\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    state_bucket = f"ftm-state-{uuid.uuid4().hex[:12]}"
    deploy_env.client("s3").create_bucket(Bucket=state_bucket)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftm_ops",
            "cloud",
            "deploy",
            "--dry-run",
            "--repo-root",
            str(REPO),
        ],
        env={
            **os.environ,
            "TERRAFORM_BIN": str(fake),
            "FTM_STATE_DIR": str(tmp_path),
            "TF_STATE_BUCKET": state_bucket,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"account {ACCOUNT}" in out
    assert "plan skipped: terraform init could not install the providers" in out
    assert "Failed to query available provider packages" in out
    for service in images.discover_services(REPO):
        build = "docker buildx build --platform linux/amd64 --load"
        assert f"[dry run] $ (cd {REPO}) {build} -f services/{service}/Dockerfile" in out
        registry = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
        assert f"[dry run] $ docker push {registry}/ftm/{service}:abc123" in out
    assert "[dry run] $ docker login --username AWS --password-stdin" in out
    assert out.count("[dry run] $ ") == 2 + 1 + 2 * len(images.discover_services(REPO))
    assert "dry run: nothing was applied or pushed" in out


@pytest.mark.integration
def test_a_dry_run_without_the_state_bucket_creates_it_not_and_plans_nothing(
    deploy_env: LocalCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = f"ftm-state-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("TF_STATE_BUCKET", missing)
    runner, lines = RecordingRunner(dry_run=True), []
    deploy(
        load_settings(DeploySettings),
        REPO,
        runner,
        echo=lines.append,
        confirm=lambda _q: True,
        work_dir=tmp_path,
    )
    assert any("plans skipped: the state bucket does not exist yet" in line for line in lines)
    assert not [argv for argv in runner.argvs() if "init" in argv or "plan" in argv]
    buckets = {b["Name"] for b in deploy_env.client("s3").list_buckets()["Buckets"]}
    assert missing not in buckets


@pytest.mark.unit
def test_settings_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in (*DEPLOY_ENV, "S3_BUCKET", "FTM_USE_SSM"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FTM_STATE_DIR", "/nonexistent")
    with pytest.raises(SettingsError) as missing:
        load_settings(DeploySettings)
    for name in ("AWS_ACCOUNT_ID", "VPC_ID", "SUBNET_IDS", "VLLM_MODEL_S3_URI", "S3_BUCKET"):
        assert f"{name}: missing" in str(missing.value)


@pytest.mark.unit
def test_subnets_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTM_STATE_DIR", "/nonexistent")
    settings = DeploySettings(
        s3_bucket="b-1",
        aws_account_id=ACCOUNT,
        vpc_id="vpc-1",
        subnet_ids="subnet-a, subnet-b,",
        vllm_model_s3_uri="s3://w/m/",
    )  # type: ignore[arg-type]
    assert settings.subnet_ids == ["subnet-a", "subnet-b"]


@pytest.mark.unit
def test_a_secret_on_stdin_is_never_displayed() -> None:
    command = Command(("docker", "login", "--password-stdin", "r"), stdin="s3cret")
    assert "s3cret" not in command.display()
    assert "s3cret" not in repr(command)


@pytest.mark.integration
def test_without_image_tag_each_image_is_tagged_by_its_content(
    deploy_env: LocalCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMAGE_TAG")
    runner = RecordingRunner()
    deploy(
        load_settings(DeploySettings),
        REPO,
        runner,
        echo=lambda _line: None,
        confirm=lambda _q: True,
        work_dir=tmp_path,
    )
    pushed = [c.argv[-1] for c in runner.commands if c.argv[:2] == ("docker", "push")]
    assert pushed == [
        f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/ftm/{s}:{images.content_tag(s, REPO)}"
        for s in images.discover_services(REPO)
    ]
