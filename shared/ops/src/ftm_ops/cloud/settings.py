"""Typed settings of the cloud commands, on top of the common ones (`FtmSettings`).

The handles of deployed resources (cluster, service, ASG, state machine, target group) are
written to SSM by terraform under the same prefix as every other setting, so with
`FTM_USE_SSM=true` an operator needs no terraform state to run the cloud smoke.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import NoDecode

from ftm_ops.quarter.projection import ProjectionSettings
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
    model_tester_instance_type: str = Field(
        "g5.xlarge",
        description="GPU instance type of the model-tester box (MODEL_TESTER_INSTANCE_TYPE); "
        "preflight counts it against the on-demand GPU quota",
    )


class WeightsSettings(CloudSettings):
    """Where vLLM's weights live: deploy grants the task read access, upload fills it."""

    vllm_model_s3_uri: str = Field(
        description="s3://bucket/prefix/ with the weights vLLM syncs at start "
        "(VLLM_MODEL_S3_URI); vLLM runs offline, it never downloads from a model hub",
        pattern=r"^s3://[^/]+/.+/$",
    )
    vllm_served_model: str = Field(
        "Qwen/Qwen3-8B", description="Model vLLM serves (VLLM_SERVED_MODEL); LLM_MODEL of jobs"
    )


class IdleCostSettings(BaseModel):
    """What the deployment bills with the GPU fleet at zero, in list prices (us-east-1,
    checked 2026-12): set your region's. AWS prices a month as 730 hours."""

    nat_gateways: int = Field(
        1,
        ge=0,
        description="NAT gateways of the VPC the deployment needs (NAT_GATEWAYS): the subnets "
        "reach SSM, ECS and STS through one; 0 where it is shared and billed to other work",
    )
    nat_gateway_hourly_usd: float = Field(
        0.045,
        ge=0,
        description="Price of one NAT gateway hour (NAT_GATEWAY_HOURLY_USD; "
        "https://aws.amazon.com/vpc/pricing/, us-east-1); the data it processes bills on top",
    )
    interface_endpoint_hourly_usd: float = Field(
        0.01,
        ge=0,
        description="Price of one interface VPC endpoint hour in one Availability Zone "
        "(INTERFACE_ENDPOINT_HOURLY_USD; https://aws.amazon.com/privatelink/pricing/, us-east-1)",
    )
    load_balancer_hourly_usd: float = Field(
        0.0225,
        ge=0,
        description="Price of one Application Load Balancer hour, vLLM's "
        "(LOAD_BALANCER_HOURLY_USD; https://aws.amazon.com/elasticloadbalancing/pricing/, "
        "us-east-1); its LCUs, about zero while idle, bill on top",
    )


class DeploySettings(WeightsSettings, IdleCostSettings):
    """`ftm cloud deploy`: where the stacks go and what the images are tagged."""

    vpc_id: str = Field(description="VPC of the Batch jobs and vLLM (VPC_ID)", pattern=r"^vpc-")
    subnet_ids: Annotated[list[str], NoDecode] = Field(
        description="Private subnets in at least two Availability Zones, comma-separated "
        "(SUBNET_IDS); they need a NAT gateway for SSM, ECS and STS (S3, ECR and CloudWatch "
        "Logs go through the VPC endpoints deploy creates)",
        min_length=2,
    )
    vpc_s3_endpoint: bool = Field(
        True,
        description="Create an S3 gateway endpoint on the subnets' route tables "
        "(VPC_S3_ENDPOINT; free): weights and image layers skip NAT. false where the VPC has one",
    )
    vpc_interface_endpoints: bool = Field(
        True,
        description="Create ECR and CloudWatch Logs interface endpoints "
        "(VPC_INTERFACE_ENDPOINTS; about $0.01/h each per zone). false where the VPC has them",
    )
    vllm_max_instances: int = Field(
        2, ge=1, le=16, description="Most GPU instances the vLLM fleet may run (VLLM_MAX_INSTANCES)"
    )
    vllm_max_lifetime_h: float = Field(
        6,
        gt=0,
        le=24,
        description="Hours the GPU fleet may stay up before an alarm scales it to zero "
        "(VLLM_MAX_LIFETIME_H): the guard against a run whose laptop died",
    )
    terraform_plugin_dir: Path | None = Field(
        None,
        description="Local terraform provider directory (TERRAFORM_PLUGIN_DIR) for an offline "
        "`init -plugin-dir`; unset: one found on disk, else the registry",
    )
    image_tag: str | None = Field(
        None,
        description="Tag of every pushed image (IMAGE_TAG); default: per image, a hash of what "
        "it is built from (Dockerfile, the files it COPYs, its build args), so an unchanged "
        "image keeps its tag and is not pushed again",
    )
    terraform_bin: str = Field(
        "terraform",
        description="terraform executable, 1.10 or newer (TERRAFORM_BIN): deploy needs it and "
        "preflight checks it; `nox -s deploy` installs no stand-in for it",
    )
    tf_state_bucket: str | None = Field(
        None,
        description="S3 bucket of the stacks' terraform state (TF_STATE_BUCKET); deploy "
        "creates it when missing (versioned, encrypted, public access blocked). Unset: "
        "`<FTM_NAME>-tfstate-<AWS_ACCOUNT_ID>-<AWS_REGION>`",
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
    )
    tf_state_key_prefix: str | None = Field(
        None,
        description="Key prefix of the state objects in TF_STATE_BUCKET (TF_STATE_KEY_PREFIX), "
        "ending with /: each stack's state is `<prefix><stack>.tfstate`. Unset: `<FTM_NAME>/`",
        pattern=r"^([A-Za-z0-9._-]+/)+$",
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
        1,
        ge=1,
        le=16,
        description="GPU instances and vLLM tasks during the run (VLLM_INSTANCES); at most "
        "the GPU group's maximum, VLLM_MAX_INSTANCES at deploy",
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
    vllm_log_group: str = Field(
        description="vLLM's CloudWatch log group (SSM, written by terraform)"
    )
    jobs_log_group: str = Field(
        description="The Batch jobs' CloudWatch log group (SSM, written by terraform)"
    )
    vllm_max_lifetime_h: float = Field(
        gt=0,
        description="Hours after which the lifetime alarm scales the fleet to zero "
        "(SSM, written by terraform from VLLM_MAX_LIFETIME_H)",
    )
    smoke_ready_timeout_s: float = Field(
        1800, gt=0, description="Wait this long for vLLM to be stable and healthy"
    )
    smoke_run_timeout_s: float = Field(
        5 * 3600, gt=0, description="Wait this long for the Step Functions execution"
    )
    smoke_poll_s: float = Field(20, gt=0, description="Seconds between status polls")

    def projection(self) -> ProjectionSettings:
        """The projection of a run on this fleet, at this price (the rest from the env)."""
        return ProjectionSettings(
            vllm_instances=self.vllm_instances, gpu_hourly_usd=self.gpu_hourly_usd
        )

    @model_validator(mode="after")
    def _within_the_lifetime_guard(self) -> SmokeSettings:
        """The lifetime alarm would scale vLLM to zero under a run that waits longer."""
        waits_h = (self.smoke_ready_timeout_s + self.smoke_run_timeout_s) / 3600
        if waits_h > self.vllm_max_lifetime_h:
            raise ValueError(
                f"SMOKE_READY_TIMEOUT_S + SMOKE_RUN_TIMEOUT_S ({waits_h:g} h) exceed the GPU "
                f"fleet's lifetime guard ({self.vllm_max_lifetime_h:g} h, VLLM_MAX_LIFETIME_H "
                "at deploy): shorten the timeouts or re-deploy with a longer lifetime"
            )
        return self
