variable "vpc_id" {
  description = "VPC of the jobs and vLLM (VPC_ID)"
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets with a route to AWS APIs (SUBNET_IDS)"
  type        = list(string)
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
