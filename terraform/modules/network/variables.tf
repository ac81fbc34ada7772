variable "name" {
  description = "Prefix of every resource name"
  type        = string
}

variable "vpc_id" {
  description = "VPC of the Batch jobs, the vLLM load balancer and its GPU instances"
  type        = string
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

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
}
