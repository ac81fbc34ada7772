# Written by `ftm cloud deploy` from the settings (ftm_shared.cloud.terraform.stack_variables).

variable "name" {
  description = "Prefix of every resource name (FTM_NAME)"
  type        = string
}

variable "region" {
  description = "AWS region (AWS_REGION)"
  type        = string
}

variable "account_id" {
  description = "The only AWS account these credentials may change (AWS_ACCOUNT_ID)"
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "bucket_name" {
  description = "The data bucket (S3_BUCKET)"
  type        = string
}

variable "ssm_prefix" {
  description = "Prefix of the settings' SSM parameters (FTM_SSM_PREFIX)"
  type        = string
}
