variable "vpc_id" {
  description = "VPC of the jobs and vLLM (VPC_ID)"
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets with a route to AWS APIs, in at least two Availability Zones (SUBNET_IDS)"
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least two subnets, in two Availability Zones (the internal load balancer requires it)."
  }
}

variable "vpc_s3_endpoint" {
  description = "Create an S3 gateway endpoint for the subnets (VPC_S3_ENDPOINT); false where the VPC has one"
  type        = bool
}

variable "vpc_interface_endpoints" {
  description = "Create ECR and CloudWatch Logs interface endpoints (VPC_INTERFACE_ENDPOINTS); false where the VPC has them"
  type        = bool
}

variable "image_uris" {
  description = "Image URI per service, as pushed by deploy"
  type        = map(string)
}

variable "gpu_instance_type" {
  description = "GPU instance type of vLLM (GPU_INSTANCE_TYPE)"
  type        = string
}

variable "vllm_served_model" {
  description = "Model vLLM serves; the jobs' LLM_MODEL (VLLM_SERVED_MODEL)"
  type        = string
}

variable "vllm_model_s3_uri" {
  description = "s3://bucket/prefix/ with the weights vLLM syncs at start (VLLM_MODEL_S3_URI)"
  type        = string
}

variable "vllm_max_instances" {
  description = "Upper bound of the GPU Auto Scaling group (VLLM_MAX_INSTANCES)"
  type        = number
}

variable "vllm_max_lifetime_h" {
  description = "Hours the GPU fleet may stay up before an alarm scales it to zero (VLLM_MAX_LIFETIME_H)"
  type        = number
}

variable "model_tester_instance_type" {
  description = "GPU instance type of the model-tester box (MODEL_TESTER_INSTANCE_TYPE)"
  type        = string
}
