terraform {
  # 1.10: the S3 backend's own lock file (use_lockfile), no DynamoDB table.
  required_version = ">= 1.10"

  # State in S3, locked while a command runs: `ftm cloud deploy` creates the bucket
  # (versioned, encrypted, private) and passes bucket, key and region with
  # `init -backend-config=` (ftm_ops.cloud.state_backend). The moto tests init their copies
  # against a bucket on moto.
  backend "s3" {}

  # 5.100 is the newest 5.x and the version `make test` validates and applies (on moto);
  # 6.x renames arguments these modules use (e.g. Batch's compute_environment_name), so a
  # move to 6 is one deliberate change with its own check (terraform/README.md).
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

# allowed_account_ids: terraform itself refuses credentials of any other account.
provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = { project = var.name, managed-by = "terraform" }
  }
}
