"""Where terraform keeps the stacks' state: an S3 bucket of the deployment's own.

A local state file in the laptop's clone orphans the infrastructure when the clone is lost.
The state bucket cannot be created by the stacks whose state it holds, so `ftm cloud deploy`
creates it with boto3 before its first `terraform init` (later deploys find it). It is
versioned (an overwritten or deleted state can be recovered), encrypted and private. Each
stack's state is one object, `<prefix><stack>.tfstate`; terraform's S3 backend locks it with a
lock object beside it while a command runs (`use_lockfile`, terraform >= 1.10), so two
deploys never apply at once. The stacks declare an empty `backend "s3" {}`; the bucket, key
and region come from a `-backend-config` file deploy writes next to the variable files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.settings import DeploySettings

MISSING = {"404", "NoSuchBucket", "NotFound"}
FORBIDDEN = {"403", "AccessDenied", "Forbidden"}


@dataclass(frozen=True)
class StateBackend:
    bucket: str
    key_prefix: str
    region: str

    @classmethod
    def from_settings(cls, settings: DeploySettings) -> StateBackend:
        name, account, region = settings.ftm_name, settings.aws_account_id, settings.aws_region
        return cls(
            bucket=settings.tf_state_bucket or f"{name}-tfstate-{account}-{region}",
            key_prefix=settings.tf_state_key_prefix or f"{name}/",
            region=region,
        )

    def key(self, stack: str) -> str:
        return f"{self.key_prefix}{stack}.tfstate"

    def config(self, stack: str) -> dict[str, str | bool]:
        """What `terraform init -backend-config=<file>` needs for one stack."""
        return {
            "bucket": self.bucket,
            "key": self.key(stack),
            "region": self.region,
            "encrypt": True,
            "use_lockfile": True,
        }


def backend_config_text(config: Mapping[str, Any]) -> str:
    """A `-backend-config` file: `name = value` lines (JSON strings and booleans are HCL)."""
    return "".join(f"{name} = {json.dumps(value)}\n" for name, value in config.items())


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def state_bucket_exists(s3: Any, bucket: str, account_id: str) -> bool:
    """Whether the bucket is there and this account's; another account's is refused."""
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account_id)
    except ClientError as error:
        if _code(error) in MISSING:
            return False
        if _code(error) in FORBIDDEN:
            raise CloudError(
                f"the terraform state bucket {bucket} exists but is not account {account_id}'s, "
                "or these credentials may not read it: set TF_STATE_BUCKET to a bucket of this "
                "account (deploy creates it)"
            ) from None
        raise
    return True


def create_state_bucket(s3: Any, bucket: str, region: str, account_id: str) -> None:
    """A new bucket: public access blocked, versioned, SSE-KMS by default."""
    # us-east-1 is S3's default location and refuses to be named as a constraint.
    where = {} if region == "us-east-1" else {"LocationConstraint": region}
    try:
        s3.create_bucket(Bucket=bucket, **({"CreateBucketConfiguration": where} if where else {}))
    except ClientError as error:
        if _code(error) != "BucketAlreadyExists":
            raise
        raise CloudError(
            f"the terraform state bucket name {bucket} is taken (bucket names are global): "
            "set TF_STATE_BUCKET to another name"
        ) from None
    owner = {"Bucket": bucket, "ExpectedBucketOwner": account_id}
    s3.put_public_access_block(
        **owner,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(**owner, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        **owner,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )


def prepare_state_bucket(
    s3: Any, backend: StateBackend, account_id: str, *, dry_run: bool, echo: Callable[[str], None]
) -> bool:
    """Whether `terraform init` can use the bucket: found, or created (a dry run creates
    nothing and says so)."""
    echo(f"\n== terraform state: s3://{backend.bucket}/{backend.key_prefix}<stack>.tfstate")
    if state_bucket_exists(s3, backend.bucket, account_id):
        echo("state bucket found (versioned; terraform locks each state while it runs)")
        return True
    if dry_run:
        echo(
            "plans skipped: the state bucket does not exist yet; a deploy creates it "
            "(TF_STATE_BUCKET) before `terraform init`"
        )
        return False
    create_state_bucket(s3, backend.bucket, backend.region, account_id)
    echo("state bucket created: versioned, encrypted, public access blocked")
    return True
