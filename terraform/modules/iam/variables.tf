variable "name" {
  description = "Prefix of every role name; job queue and definition ARNs are scoped by it"
  type        = string
}

variable "account_id" {
  description = "AWS account the roles live in (scopes the ARNs in the policies)"
  type        = string
}

variable "region" {
  description = "AWS region of the deployment (scopes the ARNs in the policies)"
  type        = string
}

variable "bucket_name" {
  description = "Data bucket the jobs read and write"
  type        = string
}

variable "ssm_prefix" {
  description = "Prefix of the settings' SSM parameters the jobs read, starting and ending with /"
  type        = string
}

variable "vllm_weights_s3_uri" {
  description = "s3://bucket/prefix/ vLLM syncs its weights from (read-only access to that prefix)"
  type        = string

  validation {
    condition     = can(regex("^s3://[^/]+/.+/$", var.vllm_weights_s3_uri))
    error_message = "vllm_weights_s3_uri must look like s3://bucket/prefix/ (ending with /)."
  }
}

variable "existing_roles" {
  description = "Pre-created roles to use instead of creating them (an account where terraform may not create IAM roles); null creates them"
  type = object({
    task_execution_role_arn     = string
    batch_job_role_arn          = string
    vllm_task_role_arn          = string
    gpu_instance_profile_arn    = string
    step_functions_role_arn     = string
    tester_instance_profile_arn = string
  })
  default = null
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
}
