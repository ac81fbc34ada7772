variable "name" {
  description = "Prefix of every resource name"
  type        = string
}

variable "job_queue_arn" {
  description = "Batch job queue the jobs are submitted to (from the batch module)"
  type        = string
}

variable "job_definition_arns" {
  description = "Batch job definition per stage, keys map and reduce (from the batch module)"
  type        = object({ map = string, reduce = string })
}

variable "role_arn" {
  description = "Role of the state machine (from the iam module)"
  type        = string
}

variable "ssm_prefix" {
  description = "Prefix of the settings' SSM parameters, starting and ending with /"
  type        = string
}

variable "log_retention_days" {
  description = "Days the execution logs are kept"
  type        = number
  default     = 90
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the logs; null uses CloudWatch's own encryption"
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
}
