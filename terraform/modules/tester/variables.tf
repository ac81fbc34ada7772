variable "name" {
  description = "Prefix of every resource name; the box is tagged Name=<name>-model-tester"
  type        = string
}

variable "image" {
  description = "Image URI of model-tester (the CUDA build deploy pushes)"
  type        = string
}

variable "instance_type" {
  description = "GPU instance type of the box (MODEL_TESTER_INSTANCE_TYPE)"
  type        = string
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter holding the AMI id: the ECS GPU-optimised Amazon Linux 2023 AMI has Docker, the NVIDIA driver and container toolkit, and the SSM agent"
  type        = string
}

variable "security_group_id" {
  description = "Security group of the box (from the network module)"
  type        = string
}

variable "instance_profile_arn" {
  description = "Instance profile of the box (from the iam module)"
  type        = string
}

variable "root_volume_gb" {
  description = "Root volume size (the CUDA image and a base model)"
  type        = number
  default     = 200
}

variable "idle_stop_minutes" {
  description = "Minutes without an SSM command or session, a running container or CPU load after which the box stops itself (a stopped box bills only its disk)"
  type        = number
  default     = 30

  validation {
    condition     = var.idle_stop_minutes >= 10 && floor(var.idle_stop_minutes) == var.idle_stop_minutes
    error_message = "idle_stop_minutes must be a whole number of at least 10 (the box needs minutes to boot and take its first command)."
  }
}

variable "ssm_prefix" {
  description = "Prefix of the settings' SSM parameters, starting and ending with /"
  type        = string
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
}
