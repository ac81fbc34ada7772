"""The terraform state bucket deploy creates (on moto), the backend settings it passes to
`terraform init`, and the move of a local state into the bucket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ftm_ops.cloud.settings import DeploySettings
from ftm_ops.cloud.state_backend import StateBackend, backend_config_text, prepare_state_bucket
from ftm_ops.cloud.terraform import Stack

pytestmark = pytest.mark.unit

ACCOUNT = "123456789012"  # moto's account


def settings(**changes: Any) -> DeploySettings:
    return DeploySettings(
        s3_bucket="example-data",
        aws_account_id=ACCOUNT,
        aws_region="eu-west-1",
        vpc_id="vpc-1",
        subnet_ids=["subnet-1", "subnet-2"],
        vllm_model_s3_uri="s3://example-data/models/m/",
        **changes,
    )


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("s3", region_name="eu-west-1")


def test_the_bucket_is_named_for_the_account_and_region_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FTM_STATE_DIR", "/nonexistent")
    for key in ("TF_STATE_BUCKET", "TF_STATE_KEY_PREFIX", "FTM_NAME"):
        monkeypatch.delenv(key, raising=False)
    backend = StateBackend.from_settings(settings())
    assert backend == StateBackend(f"ftm-tfstate-{ACCOUNT}-eu-west-1", "ftm/", "eu-west-1")
    assert backend.key("platform") == "ftm/platform.tfstate"
    chosen = StateBackend.from_settings(
        settings(tf_state_bucket="team-state", tf_state_key_prefix="research/ftm/")
    )
    assert (chosen.bucket, chosen.key("foundation")) == (
        "team-state",
        "research/ftm/foundation.tfstate",
    )


def test_the_backend_file_is_the_config_in_hcl() -> None:
    """What `terraform init -backend-config=<file>` reads (terraform itself reads it in
    terraform/tests/test_terraform_provider.py)."""
    config = StateBackend("team-state", "ftm/", "eu-west-1").config("platform")
    assert backend_config_text(config) == (
        'bucket = "team-state"\n'
        'key = "ftm/platform.tfstate"\n'
        'region = "eu-west-1"\n'
        "encrypt = true\n"
        "use_lockfile = true\n"
    )


def test_deploy_creates_a_versioned_encrypted_private_bucket_once(s3: Any) -> None:
    backend = StateBackend("ftm-state-test", "ftm/", "eu-west-1")
    lines: list[str] = []
    assert prepare_state_bucket(s3, backend, ACCOUNT, dry_run=False, echo=lines.append)
    assert lines[-1] == "state bucket created: versioned, encrypted, public access blocked"
    assert s3.get_bucket_location(Bucket=backend.bucket)["LocationConstraint"] == "eu-west-1"
    assert s3.get_bucket_versioning(Bucket=backend.bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=backend.bucket)["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    blocked = s3.get_public_access_block(Bucket=backend.bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values()) and len(blocked) == 4
    assert prepare_state_bucket(s3, backend, ACCOUNT, dry_run=False, echo=lines.append)
    assert lines[-1].startswith("state bucket found")


def test_us_east_1_takes_no_location_constraint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        backend = StateBackend("ftm-state-east", "ftm/", "us-east-1")
        assert prepare_state_bucket(s3, backend, ACCOUNT, dry_run=False, echo=lambda _: None)
        assert s3.get_bucket_location(Bucket=backend.bucket)["LocationConstraint"] is None


def test_a_dry_run_creates_nothing_and_skips_the_plans(s3: Any) -> None:
    backend = StateBackend("ftm-state-missing", "ftm/", "eu-west-1")
    lines: list[str] = []
    assert not prepare_state_bucket(s3, backend, ACCOUNT, dry_run=True, echo=lines.append)
    assert "plans skipped: the state bucket does not exist yet" in lines[-1]
    assert "TF_STATE_BUCKET" in lines[-1]
    assert backend.bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def stack(tmp_path: Path) -> Stack:
    directory = tmp_path / "stacks" / "platform"
    directory.mkdir(parents=True)
    return Stack("platform", directory, tmp_path / "work", ("terraform",), {}, None)


def test_init_passes_the_backend_file(tmp_path: Path) -> None:
    platform = stack(tmp_path)
    platform.write_backend_file(StateBackend("team-state", "ftm/", "eu-west-1").config("platform"))
    argv = platform.init().argv
    assert f"-backend-config={tmp_path / 'work' / 'platform.s3.tfbackend'}" in argv
    assert "-migrate-state" not in argv
    assert 'key = "ftm/platform.tfstate"\n' in platform.backend_file.read_text()


def test_a_local_state_from_before_is_moved_into_the_bucket(tmp_path: Path) -> None:
    platform = stack(tmp_path)
    local = platform.directory / "terraform.tfstate"
    local.write_text('{"version": 4, "resources": []}')
    assert platform.init().argv[-2:] == ("-migrate-state", "-force-copy")
    # After the move terraform leaves the file empty (and a .backup): no second move.
    local.write_text("")
    assert "-migrate-state" not in platform.init().argv
