# vLLM on GPU instances: an ASG (on-demand base, spot above) behind a capacity provider, one
# ECS service at desired count 0, and an internal load balancer. `ftm cloud smoke` scales
# the ASG and the service up for a run and back to zero after it; terraform ignores both
# desired counts so an apply never undoes (or starts) a run. A CloudWatch alarm brings a
# fleet left up back to zero after max_lifetime_hours (at the end of this file).

locals {
  container = "vllm"
  # The handles `ftm cloud smoke` reads (SmokeSettings) and the LLM settings the jobs read.
  settings = {
    llm_base_url          = "http://${aws_lb.vllm.dns_name}:${var.lb_port}/v1"
    llm_model             = var.served_model
    vllm_cluster          = aws_ecs_cluster.this.name
    vllm_service          = aws_ecs_service.vllm.name
    vllm_asg_name         = aws_autoscaling_group.gpu.name
    vllm_target_group_arn = aws_lb_target_group.vllm.arn
    gpu_instance_type     = var.instance_types[0]
    vllm_log_group        = aws_cloudwatch_log_group.vllm.name
    vllm_max_lifetime_h   = tostring(var.max_lifetime_hours)
    # How the jobs' LLM client names this server in its recovery log lines (the runbook
    # searches the logs for "vLLM").
    llm_server_name = "vLLM"
  }
  # The lifetime guard's alarm looks at 15-minute periods: it fires between max_lifetime_hours
  # and a quarter of an hour later.
  guard_period_s = 900

  # The weights (~16 GB for Qwen3-8B) live in a host folder bind-mounted into the task, not in
  # the container's writable layer: a restarted task finds them synced (only changed files are
  # downloaded again) instead of leaving another copy in a dead container's layer. One folder
  # per served model, so a model change never mixes two models' files.
  host_models_dir      = "/var/lib/ftm/models"
  container_models_dir = "/models"
  model_slug           = trim(lower(replace(var.served_model, "/[^A-Za-z0-9._-]+/", "-")), "-.")
  # The user the vllm-server image runs as (its Dockerfile's USER): it writes the synced weights.
  container_uid = 10001
  # vllm-server's settings (env prefix FTM_VLLM_: vLLM itself reads every VLLM_* variable).
  environment = merge(var.vllm_environment, {
    FTM_VLLM_SERVED_MODEL = var.served_model
    FTM_VLLM_MODEL_S3_URI = var.model_s3_uri
    FTM_VLLM_MODEL_PATH   = "${local.container_models_dir}/${local.model_slug}"
    FTM_VLLM_PORT         = tostring(var.vllm_port)
    AWS_REGION            = var.region
  })
}

# Each GPU instance type's memory, against what the task reserves plus what the host keeps.
data "aws_ec2_instance_type" "gpu" {
  for_each = toset(var.instance_types)

  instance_type = each.value
}

data "aws_ssm_parameter" "gpu_ami" {
  name = var.ami_ssm_parameter
}

resource "aws_cloudwatch_log_group" "vllm" {
  # checkov:skip=CKV_AWS_338: serving logs; retention is a variable (default 30 days) to keep storage cost bounded
  name              = "/ecs/${var.name}-vllm"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = "${var.name}-vllm"
  tags = var.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_launch_template" "gpu" {
  name_prefix            = "${var.name}-gpu-"
  image_id               = data.aws_ssm_parameter.gpu_ami.value
  instance_type          = var.instance_types[0]
  vpc_security_group_ids = [var.instances_security_group_id]
  # The ECS AMI starts its agent after cloud-init has run this (which is how ECS_CLUSTER takes
  # effect), so the models folder exists, owned by the image's user, before any task mounts
  # it; Docker would otherwise create it owned by root and the server could not write it.
  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    echo ECS_CLUSTER=${aws_ecs_cluster.this.name} >> /etc/ecs/ecs.config
    install -d -m 0755 -o ${local.container_uid} -g ${local.container_uid} ${local.host_models_dir}
  EOT
  )
  tags = var.tags

  iam_instance_profile {
    arn = var.instance_profile_arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    # Docker's layers (the ~10 GB vLLM image) and the models folder share the root volume.
    # gp3's baseline is 125 MiB/s: the image pull and the weight sync write ~26 GB on every new
    # instance, so both go faster with more throughput (billed only while an instance runs).
    ebs {
      volume_size           = var.root_volume_gb
      volume_type           = "gp3"
      throughput            = var.root_volume_throughput_mibps
      iops                  = var.root_volume_iops
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  lifecycle {
    precondition {
      condition     = var.root_volume_throughput_mibps <= var.root_volume_iops / 4
      error_message = "gp3 allows at most 0.25 MiB/s per IOPS: ${var.root_volume_throughput_mibps} MiB/s needs root_volume_iops of at least ${var.root_volume_throughput_mibps * 4}."
    }
  }
}

resource "aws_autoscaling_group" "gpu" {
  name                  = "${var.name}-gpu"
  min_size              = 0
  max_size              = var.max_instances
  desired_capacity      = 0
  vpc_zone_identifier   = var.subnet_ids
  protect_from_scale_in = false
  # The lifetime guard's alarm reads GroupDesiredCapacity (group metrics are free).
  enabled_metrics     = ["GroupDesiredCapacity", "GroupInServiceInstances"]
  metrics_granularity = "1Minute"

  mixed_instances_policy {
    instances_distribution {
      on_demand_base_capacity                  = var.on_demand_base_capacity
      on_demand_percentage_above_base_capacity = 0
      spot_allocation_strategy                 = "price-capacity-optimized"
    }

    launch_template {
      launch_template_specification {
        launch_template_id = aws_launch_template.gpu.id
        version            = aws_launch_template.gpu.latest_version
      }

      dynamic "override" {
        for_each = var.instance_types

        content {
          instance_type = override.value
        }
      }
    }
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  dynamic "tag" {
    for_each = var.tags

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "gpu" {
  name = "${var.name}-gpu"
  tags = var.tags

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.gpu.arn
    managed_termination_protection = "DISABLED"

    # The cloud smoke sets the ASG's capacity itself, so ECS must not scale it.
    managed_scaling {
      status = "DISABLED"
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = [aws_ecs_capacity_provider.gpu.name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.gpu.name
    weight            = 1
  }
}

resource "aws_ecs_task_definition" "vllm" {
  # checkov:skip=CKV_AWS_336: vLLM writes its caches (compiled kernels, CUDA graphs) under the container's home; the weights go to the mounted host folder
  family                   = "${var.name}-vllm"
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  tags                     = var.tags

  container_definitions = jsonencode([{
    name      = local.container
    image     = var.image
    essential = true
    # A soft reservation, not a hard `memory` limit: ECS places the task on a host with this
    # much unreserved memory, and vLLM may use more (loading 16 GB of weights passes through the
    # page cache) without the kernel killing it at a limit set just under the host's 16 GiB.
    # What the host keeps for the OS, the ECS agent and Docker is checked below.
    memoryReservation = var.task_memory_reservation_mib
    # vLLM's workers exchange tensors through /dev/shm; Docker's 64 MiB default is too small.
    linuxParameters = { sharedMemorySize = var.shared_memory_mib }
    resourceRequirements = [
      { type = "GPU", value = tostring(var.gpus_per_task) },
    ]
    portMappings = [{ containerPort = var.vllm_port, protocol = "tcp" }]
    mountPoints  = [{ sourceVolume = "models", containerPath = local.container_models_dir, readOnly = false }]
    environment = [
      for key in sort(keys(local.environment)) : { name = key, value = local.environment[key] }
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.vllm.name
        awslogs-region        = var.region
        awslogs-stream-prefix = local.container
      }
    }
  }])

  volume {
    name      = "models"
    host_path = local.host_models_dir
  }

  lifecycle {
    precondition {
      condition = alltrue([
        for type in data.aws_ec2_instance_type.gpu :
        type.memory_size >= var.task_memory_reservation_mib + var.host_reserved_memory_mib
      ])
      error_message = "The vLLM task reserves ${var.task_memory_reservation_mib} MiB and its host keeps ${var.host_reserved_memory_mib} MiB, but the GPU instance types have ${join(", ", [for t in data.aws_ec2_instance_type.gpu : "${t.instance_type} ${t.memory_size} MiB"])}: choose a larger GPU_INSTANCE_TYPE or lower task_memory_reservation_mib."
    }
  }
}

resource "aws_lb" "vllm" {
  # checkov:skip=CKV_AWS_91: access logs need a log bucket; the jobs' and vLLM's own logs record every request
  # checkov:skip=CKV_AWS_150: scaled to zero and torn down with the stack; deletion protection would block `terraform destroy`
  # checkov:skip=CKV2_AWS_20: internal HTTP only, reachable only from the Batch jobs' security group; there is no HTTPS listener to redirect to
  # checkov:skip=CKV2_AWS_28: internal load balancer reachable only from the Batch security group; a WAF adds nothing there
  name                       = "${var.name}-vllm"
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [var.lb_security_group_id]
  subnets                    = var.subnet_ids
  drop_invalid_header_fields = true
  idle_timeout               = 300
  tags                       = var.tags

  lifecycle {
    precondition {
      condition     = length(var.availability_zones) >= 2
      error_message = "vLLM's load balancer needs subnets in at least two Availability Zones; SUBNET_IDS are all in ${join(", ", var.availability_zones)}."
    }
  }
}

resource "aws_lb_target_group" "vllm" {
  # checkov:skip=CKV_AWS_378: plain HTTP between the load balancer and the task inside the VPC; vLLM serves no TLS
  name                 = "${var.name}-vllm"
  port                 = var.vllm_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30
  tags                 = var.tags

  # The same endpoint the LLM client polls when requests fail.
  health_check {
    path                = "/health"
    matcher             = "200"
    interval            = 30
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "vllm" {
  # checkov:skip=CKV_AWS_2: internal listener reachable only from the Batch jobs' security group; an internal name has no public certificate
  # checkov:skip=CKV_AWS_103: no TLS on this internal listener (see CKV_AWS_2)
  # checkov:skip=CKV2_AWS_74: no TLS on this internal listener (see CKV_AWS_2)
  load_balancer_arn = aws_lb.vllm.arn
  port              = var.lb_port
  protocol          = "HTTP"
  tags              = var.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.vllm.arn
  }
}

resource "aws_ecs_service" "vllm" {
  name            = "${var.name}-vllm"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.vllm.arn
  desired_count   = 0
  # Model loading takes minutes; the load balancer must not kill the task meanwhile.
  health_check_grace_period_seconds  = 900
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  tags                               = var.tags

  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.gpu.name
    weight            = 1
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.tasks_security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.vllm.arn
    container_name   = local.container
    container_port   = var.vllm_port
  }

  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.vllm, aws_ecs_cluster_capacity_providers.this]
}

resource "aws_ssm_parameter" "setting" {
  # checkov:skip=CKV2_AWS_34: an internal URL, a model name and resource names, not secrets
  for_each = local.settings

  name  = "${var.ssm_prefix}${each.key}"
  type  = "String"
  value = each.value
  tags  = var.tags
}

# --- The lifetime guard: a fleet left up (a laptop that crashed mid-run, a forgotten manual
# scale-up) goes back to zero by itself. When the ASG has wanted at least one instance for
# max_lifetime_hours, the alarm sets both the ASG and the service to zero. `ftm cloud smoke`
# refuses timeouts longer than this (SmokeSettings).

resource "aws_autoscaling_policy" "gpu_to_zero" {
  name                   = "${var.name}-gpu-to-zero"
  autoscaling_group_name = aws_autoscaling_group.gpu.name
  policy_type            = "SimpleScaling"
  adjustment_type        = "ExactCapacity"
  scaling_adjustment     = 0
  cooldown               = 60
}

resource "aws_appautoscaling_target" "vllm" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.vllm.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = 0
  max_capacity       = var.max_instances
}

resource "aws_appautoscaling_policy" "vllm_to_zero" {
  name               = "${var.name}-vllm-to-zero"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.vllm.service_namespace
  resource_id        = aws_appautoscaling_target.vllm.resource_id
  scalable_dimension = aws_appautoscaling_target.vllm.scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ExactCapacity"
    cooldown                = 60
    metric_aggregation_type = "Minimum"

    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 0
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "fleet_lifetime" {
  alarm_name          = "${var.name}-gpu-lifetime"
  alarm_description   = "The vLLM GPU fleet has been up for ${var.max_lifetime_hours} h: scale it to zero (VLLM_MAX_LIFETIME_H)"
  namespace           = "AWS/AutoScaling"
  metric_name         = "GroupDesiredCapacity"
  dimensions          = { AutoScalingGroupName = aws_autoscaling_group.gpu.name }
  statistic           = "Minimum"
  period              = local.guard_period_s
  evaluation_periods  = ceil(var.max_lifetime_hours * 3600 / local.guard_period_s)
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_autoscaling_policy.gpu_to_zero.arn, aws_appautoscaling_policy.vllm_to_zero.arn]
  tags                = var.tags
}
