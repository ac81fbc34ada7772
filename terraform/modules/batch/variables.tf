variable "name" {
  description = "Prefix of every resource name"
  type        = string
}

variable "region" {
  description = "AWS region (jobs' AWS_REGION and log configuration)"
  type        = string
}

variable "subnet_ids" {
  description = "Subnets the Fargate jobs run in"
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the jobs (from the network module)"
  type        = string
}

variable "assign_public_ip" {
  description = "Give jobs a public IP (only for public subnets without NAT)"
  type        = bool
  default     = false
}

variable "capacity" {
  description = "FARGATE_SPOT (cheaper, may be reclaimed: jobs resume from checkpoints) or FARGATE"
  type        = string
  default     = "FARGATE_SPOT"

  validation {
    condition     = contains(["FARGATE", "FARGATE_SPOT"], var.capacity)
    error_message = "capacity must be FARGATE or FARGATE_SPOT."
  }
}

variable "on_demand_fallback" {
  description = "With FARGATE_SPOT capacity, add an on-demand FARGATE compute environment after it in the job queue, so jobs still run when Spot capacity or its vCPU quota is short"
  type        = bool
  default     = true
}

variable "runnable_timeout_s" {
  description = "Seconds a job Batch cannot place (insufficient capacity, more vCPUs or memory than the environments allow) may wait in RUNNABLE before Batch cancels it with that reason (600 to 86400)"
  type        = number
  default     = 1800

  validation {
    condition     = var.runnable_timeout_s >= 600 && var.runnable_timeout_s <= 86400
    error_message = "runnable_timeout_s must be between 600 and 86400 (Batch's limits for maxTimeSeconds)."
  }
}

variable "max_vcpus" {
  description = "Upper bound of vCPUs each compute environment (Spot, and the on-demand fallback) runs at once"
  type        = number
  default     = 32
}

variable "images" {
  description = "Image URI of the map and reduce jobs (keys: map, reduce)"
  type        = object({ map = string, reduce = string })
}

variable "resources" {
  description = "vCPUs, memory (MiB, a valid Fargate pair) and timeout (s) per job"
  type = object({
    map    = object({ vcpu = number, memory_mib = number, timeout_s = number })
    reduce = object({ vcpu = number, memory_mib = number, timeout_s = number })
  })
  default = {
    map    = { vcpu = 8, memory_mib = 32768, timeout_s = 6 * 3600 }
    reduce = { vcpu = 4, memory_mib = 16384, timeout_s = 2 * 3600 }
  }
}

variable "ssm_prefix" {
  description = "Prefix the jobs read their settings from (FTM_SSM_PREFIX), incl. llm_base_url at run time"
  type        = string
}

variable "environment" {
  description = "Extra environment of both jobs (e.g. LLM_MAX_CONCURRENT, CHECKPOINT_INTERVAL)"
  type        = map(string)
  default = {
    LLM_MAX_CONCURRENT  = "10"
    CHECKPOINT_INTERVAL = "50"
  }
}

variable "job_role_arn" {
  description = "Role the jobs run as (from the iam module)"
  type        = string
}

variable "execution_role_arn" {
  description = "Role that pulls the images and writes logs (from the iam module)"
  type        = string
}

variable "log_retention_days" {
  description = "Days the jobs' logs are kept"
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
