# Every security group of the deployment lives here, so neither the batch nor the ecs module
# needs the other's outputs: the rule "vLLM's load balancer accepts only the batch jobs" is
# written once, between two groups this module owns (terraform/README.md, "No cycle").

resource "aws_security_group" "batch" {
  # checkov:skip=CKV2_AWS_5: attached to the Batch compute environment in the batch module
  name_prefix = "${var.name}-batch-"
  description = "AWS Batch jobs (map, reduce): egress only"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "batch" {
  # checkov:skip=CKV_AWS_382: jobs reach ECR, S3, SSM and CloudWatch over their public endpoints (through NAT) unless VPC endpoints exist
  security_group_id = aws_security_group.batch.id
  description       = "AWS APIs and the vLLM load balancer"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "vllm_lb" {
  # checkov:skip=CKV2_AWS_5: attached to the internal load balancer in the ecs module
  name_prefix = "${var.name}-vllm-lb-"
  description = "Internal load balancer of vLLM: reachable only from the Batch jobs"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "vllm_lb_from_batch" {
  # checkov:skip=CKV_AWS_260: the source is the Batch security group (referenced_security_group_id), not 0.0.0.0/0
  security_group_id            = aws_security_group.vllm_lb.id
  description                  = "OpenAI-compatible API from the Batch jobs"
  referenced_security_group_id = aws_security_group.batch.id
  ip_protocol                  = "tcp"
  from_port                    = var.lb_port
  to_port                      = var.lb_port
}

resource "aws_vpc_security_group_egress_rule" "vllm_lb_to_tasks" {
  security_group_id            = aws_security_group.vllm_lb.id
  description                  = "Requests and health checks to the vLLM tasks"
  referenced_security_group_id = aws_security_group.vllm_tasks.id
  ip_protocol                  = "tcp"
  from_port                    = var.vllm_port
  to_port                      = var.vllm_port
}

resource "aws_security_group" "vllm_tasks" {
  # checkov:skip=CKV2_AWS_5: attached to the vLLM ECS service (awsvpc) in the ecs module
  name_prefix = "${var.name}-vllm-tasks-"
  description = "vLLM tasks: only the load balancer reaches them"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "vllm_tasks_from_lb" {
  security_group_id            = aws_security_group.vllm_tasks.id
  description                  = "vLLM API from the internal load balancer"
  referenced_security_group_id = aws_security_group.vllm_lb.id
  ip_protocol                  = "tcp"
  from_port                    = var.vllm_port
  to_port                      = var.vllm_port
}

resource "aws_vpc_security_group_egress_rule" "vllm_tasks" {
  # checkov:skip=CKV_AWS_382: the task syncs weights from S3 and pulls from ECR (through NAT) unless VPC endpoints exist
  security_group_id = aws_security_group.vllm_tasks.id
  description       = "S3 (weights), ECR, CloudWatch Logs"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "gpu_instances" {
  # checkov:skip=CKV2_AWS_5: attached to the GPU launch template in the ecs module
  name_prefix = "${var.name}-gpu-"
  description = "GPU container instances: no ingress; the ECS agent calls out"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "gpu_instances" {
  # checkov:skip=CKV_AWS_382: the ECS agent and image pulls reach AWS endpoints (through NAT) unless VPC endpoints exist
  security_group_id = aws_security_group.gpu_instances.id
  description       = "ECS agent, ECR, CloudWatch"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
