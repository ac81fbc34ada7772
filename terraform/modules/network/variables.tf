variable "name" {
  description = "Prefix of every resource name"
  type        = string
}

variable "vpc_id" {
  description = "VPC of the Batch jobs, the vLLM load balancer and its GPU instances"
  type        = string
}

variable "region" {
  description = "AWS region (the VPC endpoints' service names)"
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the deployment, in at least two Availability Zones"
  type        = list(string)
}

variable "s3_gateway_endpoint" {
  description = "Create an S3 gateway endpoint on the subnets' route tables (free; weights and image layers skip NAT); false where the VPC has one"
  type        = bool
  default     = true
}

variable "interface_endpoints" {
  description = "Create ECR (api, dkr) and CloudWatch Logs interface endpoints (about $0.01/h per endpoint and zone); false where the VPC has them"
  type        = bool
  default     = true
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
