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
  description = "Root volume size in GB: Docker's layers (the vLLM image, ~10 GB compressed, about twice that unpacked, and the previous image's until ECS cleans it up) plus the models folder (~16 GB per model for Qwen3-8B)"
  type        = number
  default     = 200

  validation {
    condition     = var.root_volume_gb >= 100
    error_message = "root_volume_gb must be at least 100: the vLLM image unpacked, its previous version and the weights need about 60 GB."
  }
}

variable "root_volume_throughput_mibps" {
  description = "Provisioned gp3 throughput of the root volume in MiB/s (125 is the free baseline; the image pull and the weight sync are writes of ~26 GB; a g5.xlarge's EBS link bursts to ~437 MB/s)"
  type        = number
  default     = 400

  validation {
    condition     = var.root_volume_throughput_mibps >= 125 && var.root_volume_throughput_mibps <= 1000
    error_message = "root_volume_throughput_mibps must be between 125 and 1000 (gp3)."
  }
}

variable "root_volume_iops" {
  description = "Provisioned gp3 IOPS of the root volume (3000 is the free baseline; gp3 allows at most 0.25 MiB/s of throughput per IOPS)"
  type        = number
  default     = 3000

  validation {
    condition     = var.root_volume_iops >= 3000 && var.root_volume_iops <= 16000
    error_message = "root_volume_iops must be between 3000 and 16000 (gp3)."
  }
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

variable "task_memory_reservation_mib" {
  description = "Memory one vLLM task reserves on its host (a soft limit, memoryReservation: ECS places the task by it, vLLM may use more)"
  type        = number
  default     = 12288
}

variable "host_reserved_memory_mib" {
  description = "Memory each GPU host keeps beyond the task's reservation, for the OS, the ECS agent, Docker and the page cache (checked against the instance types' memory at plan)"
  type        = number
  default     = 2048
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

variable "served_model" {
  description = "Model vLLM serves (FTM_VLLM_SERVED_MODEL): the jobs' LLM_MODEL; its weights' folder on the host is named after it"
  type        = string
}

variable "model_s3_uri" {
  description = "s3://bucket/prefix/ the server syncs its weights from into the host's models folder (FTM_VLLM_MODEL_S3_URI)"
  type        = string
}

variable "vllm_environment" {
  description = "Further environment of the server, e.g. other FTM_VLLM_* settings (services/vllm-server/README.md); the model, weights folder, port and region are set by this module"
  type        = map(string)
  default     = {}
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
