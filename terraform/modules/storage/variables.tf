variable "name" {
  description = "Prefix of every resource name; ECR repositories are named <name>/<service>"
  type        = string
}

variable "region" {
  description = "AWS region, published to SSM as aws_region"
  type        = string
}

variable "bucket_name" {
  description = "Name of the data bucket (S3_BUCKET): raw, intermediate, processed, models"
  type        = string
}

variable "services" {
  description = "Services with an image (services/<name>/Dockerfile): one ECR repository each"
  type        = list(string)
}

variable "ssm_prefix" {
  description = "Prefix of the settings' SSM parameters (FTM_SSM_PREFIX), starting and ending with /"
  type        = string

  validation {
    condition     = can(regex("^/.*/$", var.ssm_prefix))
    error_message = "ssm_prefix must start and end with /, e.g. /ftm/."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the bucket and ECR; null uses the AWS-managed keys"
  type        = string
  default     = null
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept"
  type        = number
  default     = 30
}

variable "images_kept" {
  description = "Images kept per ECR repository (older ones expire)"
  type        = number
  default     = 20
}

variable "force_destroy" {
  description = "Let terraform destroy a non-empty bucket and repositories (tear-down of a test deployment)"
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
}
