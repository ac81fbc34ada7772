# One ordered apply: network owns every security group, so batch and ecs never read each
# other; the jobs read vLLM's URL from SSM at run time, not at plan time (../../README.md).

locals {
  # The GPU AMI and the vLLM image are a pair: vllm/vllm-openai from v0.9 (the Dockerfile pins
  # v0.11.0) is built on CUDA 12.8 and refuses older drivers ("unsatisfied condition:
  # cuda>=12.8"). The Amazon Linux 2 ECS GPU AMI ships driver 550 (CUDA 12.4), the Amazon
  # Linux 2023 one a 580-series driver (CUDA 13.0). terraform/tests/test_gpu_pairing.py holds
  # the two together.
  gpu_ami_ssm_parameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
}

module "network" {
  source = "../../modules/network"

  name                = var.name
  region              = var.region
  vpc_id              = var.vpc_id
  subnet_ids          = var.subnet_ids
  s3_gateway_endpoint = var.vpc_s3_endpoint
  interface_endpoints = var.vpc_interface_endpoints
}

module "iam" {
  source = "../../modules/iam"

  name                = var.name
  account_id          = var.account_id
  region              = var.region
  bucket_name         = var.bucket_name
  ssm_prefix          = var.ssm_prefix
  vllm_weights_s3_uri = var.vllm_model_s3_uri
}

module "batch" {
  source = "../../modules/batch"

  name               = var.name
  region             = var.region
  subnet_ids         = var.subnet_ids
  security_group_id  = module.network.batch_security_group_id
  images             = { map = var.image_uris["map-worker"], reduce = var.image_uris["reduce-worker"] }
  ssm_prefix         = var.ssm_prefix
  job_role_arn       = module.iam.batch_job_role_arn
  execution_role_arn = module.iam.task_execution_role_arn
}

module "ecs" {
  source = "../../modules/ecs"

  name                        = var.name
  region                      = var.region
  vpc_id                      = var.vpc_id
  subnet_ids                  = var.subnet_ids
  lb_security_group_id        = module.network.vllm_lb_security_group_id
  tasks_security_group_id     = module.network.vllm_tasks_security_group_id
  instances_security_group_id = module.network.gpu_instances_security_group_id
  image                       = var.image_uris["vllm-server"]
  instance_types              = [var.gpu_instance_type]
  ami_ssm_parameter           = local.gpu_ami_ssm_parameter
  availability_zones          = module.network.availability_zones
  max_instances               = var.vllm_max_instances
  max_lifetime_hours          = var.vllm_max_lifetime_h
  execution_role_arn          = module.iam.task_execution_role_arn
  task_role_arn               = module.iam.vllm_task_role_arn
  instance_profile_arn        = module.iam.gpu_instance_profile_arn
  ssm_prefix                  = var.ssm_prefix
  served_model                = var.vllm_served_model
  model_s3_uri                = var.vllm_model_s3_uri

  # The weights come from S3 only: nothing reaches for a model hub.
  vllm_environment = { HF_HUB_OFFLINE = "1" }
}

module "stepfunctions" {
  source = "../../modules/stepfunctions"

  name                = var.name
  job_queue_arn       = module.batch.job_queue_arn
  job_definition_arns = module.batch.job_definition_arns
  role_arn            = module.iam.step_functions_role_arn
  ssm_prefix          = var.ssm_prefix
}

module "tester" {
  source = "../../modules/tester"

  name                 = var.name
  image                = var.image_uris["model-tester"]
  instance_type        = var.model_tester_instance_type
  ami_ssm_parameter    = local.gpu_ami_ssm_parameter
  security_group_id    = module.network.tester_security_group_id
  instance_profile_arn = module.iam.tester_instance_profile_arn
  ssm_prefix           = var.ssm_prefix
}
