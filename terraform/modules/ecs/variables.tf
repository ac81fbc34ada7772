variable "name" {
  description = "Prefix of every resource name"
  type        = string
}

variable "region" {
  description = "AWS region (log configuration)"
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer's target group"
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the load balancer, the GPU instances and the tasks"
  type        = list(string)
}

variable "lb_security_group_id" {
  description = "Security group of the internal load balancer (from the network module)"
  type        = string
}

variable "tasks_security_group_id" {
  description = "Security group of the vLLM tasks (from the network module)"
  type        = string
}

variable "instances_security_group_id" {
  description = "Security group of the GPU instances (from the network module)"
  type        = string
}

variable "image" {
  description = "Image URI of vllm-server"
  type        = string
}

variable "instance_types" {
  description = "GPU instance types, preferred first (spot capacity may use any of them)"
  type        = list(string)
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter holding the ECS GPU-optimised AMI id; its NVIDIA driver must suit the vLLM image's CUDA (the platform stack pairs them)"
  type        = string
}

variable "root_volume_gb" {
  description = "Root volume size (image layers plus the synced weights)"
  type        = number
  default     = 200
}

variable "max_instances" {
  description = "Upper bound of the GPU Auto Scaling group and of vLLM's task count (VLLM_MAX_INSTANCES; the smoke's VLLM_INSTANCES must not exceed it)"
  type        = number
  default     = 2

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 16
    error_message = "max_instances must be between 1 and 16."
  }
}

variable "max_lifetime_hours" {
  description = "Hours the GPU fleet may stay up before the lifetime alarm scales it to zero (VLLM_MAX_LIFETIME_H)"
  type        = number
  default     = 6

  validation {
    # A CloudWatch alarm evaluates at most one day of periods.
    condition     = var.max_lifetime_hours > 0 && var.max_lifetime_hours <= 24
    error_message = "max_lifetime_hours must be more than 0 and at most 24."
  }
}

variable "availability_zones" {
  description = "Distinct Availability Zones of subnet_ids (from the network module); the load balancer needs two"
  type        = list(string)
}

variable "on_demand_base_capacity" {
  description = "Instances that are always on-demand; capacity above this is spot"
  type        = number
  default     = 1
}

variable "gpus_per_task" {
  description = "GPUs one vLLM task takes"
  type        = number
  default     = 1
}

variable "task_memory_mib" {
  description = "Memory reserved for one vLLM task"
  type        = number
  default     = 14336
}

variable "shared_memory_mib" {
  description = "/dev/shm of the vLLM container in MiB (Docker's default of 64 is too small for vLLM)"
  type        = number
  default     = 4096
}

variable "vllm_port" {
  description = "Port the vLLM container listens on"
  type        = number
  default     = 8000
}

variable "lb_port" {
  description = "Port of the internal load balancer's listener"
  type        = number
  default     = 80
}

variable "vllm_environment" {
  description = "VLLM_* settings of the server (services/vllm-server/README.md)"
  type        = map(string)
}

variable "execution_role_arn" {
  description = "Role that pulls the image and writes logs (from the iam module)"
  type        = string
}

variable "task_role_arn" {
  description = "Role of the vLLM task: reads the weights (from the iam module)"
  type        = string
}

variable "instance_profile_arn" {
  description = "Instance profile of the GPU instances (from the iam module)"
  type        = string
}

variable "ssm_prefix" {
  description = "Prefix of the settings' SSM parameters, starting and ending with /"
  type        = string
}

variable "log_retention_days" {
  description = "Days vLLM's logs are kept"
  type        = number
  default     = 30
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
