# Every security group of the deployment lives here, so neither the batch nor the ecs module
# needs the other's outputs: the rule "vLLM's load balancer accepts only the batch jobs" is
# written once, between two groups this module owns (terraform/README.md, "No cycle"). Also
# the subnets' zones and the VPC endpoints that keep the heavy traffic off NAT.

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
  # checkov:skip=CKV_AWS_382: jobs reach SSM and vLLM's load balancer; SSM through NAT (S3, ECR and CloudWatch Logs through the VPC endpoints) at AWS-owned, changing addresses
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
  # checkov:skip=CKV_AWS_382: the task's S3 weights and ECR pulls go through the VPC endpoints, anything else through NAT, at AWS-owned, changing addresses
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
  # checkov:skip=CKV_AWS_382: the ECS agent reaches ECS through NAT (image layers and logs through the VPC endpoints); AWS-owned, changing addresses
  security_group_id = aws_security_group.gpu_instances.id
  description       = "ECS agent, ECR, CloudWatch"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "tester" {
  # checkov:skip=CKV2_AWS_5: attached to the model-tester launch template in the tester module
  name_prefix = "${var.name}-tester-"
  description = "model-tester GPU box: no ingress; SSM, ECR and S3 are reached outbound"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "tester" {
  # checkov:skip=CKV_AWS_382: the SSM agent reaches SSM through NAT (docker pulls and S3 reads through the VPC endpoints); AWS-owned, changing addresses
  security_group_id = aws_security_group.tester.id
  description       = "SSM, ECR, S3"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# --- Where the subnets are: the load balancer needs two Availability Zones, and an interface
# endpoint takes one subnet per zone.

data "aws_subnet" "selected" {
  for_each = toset(var.subnet_ids)

  id = each.value
}

locals {
  subnet_zones = { for id, subnet in data.aws_subnet.selected : id => subnet.availability_zone }
  # One subnet per zone (the first by id): an interface endpoint refuses two in one zone.
  endpoint_subnet_ids = [
    for zone in distinct(values(local.subnet_zones)) :
    sort([for id, z in local.subnet_zones : id if z == zone])[0]
  ]
  # Everything inside the VPC that calls ECR or CloudWatch Logs.
  endpoint_clients = {
    batch         = aws_security_group.batch.id
    vllm_tasks    = aws_security_group.vllm_tasks.id
    gpu_instances = aws_security_group.gpu_instances.id
    tester        = aws_security_group.tester.id
  }
}

# --- VPC endpoints: the weights (~16 GB) and image layers (ECR serves them from S3) come
# through the free S3 gateway instead of NAT on every GPU start; ECR's and CloudWatch Logs'
# APIs through interface endpoints. Both are optional: a VPC that already has them must not
# get a second one (the route or the private DNS name would collide).

# A subnet without its own route table uses the VPC's main one.
data "aws_route_tables" "subnet" {
  for_each = var.s3_gateway_endpoint ? toset(var.subnet_ids) : toset([])

  vpc_id = var.vpc_id

  filter {
    name   = "association.subnet-id"
    values = [each.value]
  }
}

data "aws_route_tables" "main" {
  count = var.s3_gateway_endpoint ? 1 : 0

  vpc_id = var.vpc_id

  filter {
    name   = "association.main"
    values = ["true"]
  }
}

resource "aws_vpc_endpoint" "s3" {
  count = var.s3_gateway_endpoint ? 1 : 0

  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids = distinct(flatten([
    for id in var.subnet_ids :
    length(data.aws_route_tables.subnet[id].ids) > 0 ? data.aws_route_tables.subnet[id].ids : data.aws_route_tables.main[0].ids
  ]))
  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

resource "aws_security_group" "endpoints" {
  count = var.interface_endpoints ? 1 : 0

  name_prefix = "${var.name}-endpoints-"
  description = "Interface endpoints (ECR, CloudWatch Logs): HTTPS from this deployment only"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints" {
  for_each = var.interface_endpoints ? local.endpoint_clients : {}

  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.interface_endpoints ? toset(["ecr.api", "ecr.dkr", "logs"]) : toset([])

  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = local.endpoint_subnet_ids
  security_group_ids  = [aws_security_group.endpoints[0].id]
  private_dns_enabled = true
  tags                = merge(var.tags, { Name = "${var.name}-${each.key}" })
}
