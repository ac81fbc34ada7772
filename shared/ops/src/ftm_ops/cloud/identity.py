"""Who we are on AWS: the caller identity must be the configured account before any change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ftm_ops.cloud.errors import CloudError
from ftm_ops.cloud.settings import CloudSettings
from ftm_shared import aws


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    region: str
    profile: str | None

    def describe(self) -> str:
        via = f"profile {self.profile}" if self.profile else "default credentials"
        return f"account {self.account} in {self.region} as {self.arn} ({via})"


def cloud_client(service: str, settings: CloudSettings) -> Any:
    return aws.client(
        service,
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        profile=settings.aws_profile,
    )


def verify_account(settings: CloudSettings) -> Identity:
    """Ask STS who the credentials are; refuse any account other than AWS_ACCOUNT_ID."""
    try:
        caller = cloud_client("sts", settings).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        raise CloudError(
            f"cannot verify the AWS identity ({error}); log in (e.g. `aws sso login"
            f"{' --profile ' + settings.aws_profile if settings.aws_profile else ''}`) "
            "or set AWS_PROFILE"
        ) from None
    identity = Identity(
        account=caller["Account"],
        arn=caller["Arn"],
        region=settings.aws_region,
        profile=settings.aws_profile,
    )
    if identity.account != settings.aws_account_id:
        raise CloudError(
            f"the credentials belong to account {identity.account} ({identity.arn}), "
            f"but AWS_ACCOUNT_ID is {settings.aws_account_id}: nothing was changed"
        )
    return identity
