locals {
  # One job definition per image. The state machine (generated from ftm_shared.pipeline) gives
  # each stage's job its command (ContainerOverrides): plan, map (per shard) and collect run on
  # the map image, reduce on the reduce image. A job submitted without one only checks its
  # settings and the bucket.
  stages = {
    map = {
      command = ["check"]
    }
    reduce = {
      command = ["check"]
    }
  }

  # Settings come from SSM at run time (FTM_USE_SSM): in particular llm_base_url, which the
  # ecs module writes. Reading it here at plan time is what made the old runbook two-pass.
  environment = merge(var.environment, {
    FTM_USE_SSM    = "true"
    FTM_SSM_PREFIX = var.ssm_prefix
    AWS_REGION     = var.region
    FTM_LOG_FORMAT = "json"
  })
}

resource "aws_cloudwatch_log_group" "jobs" {
  # checkov:skip=CKV_AWS_338: research job logs; retention is a variable (default 90 days) to keep storage cost bounded
  name              = "/aws/batch/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_batch_compute_environment" "this" {
  compute_environment_name = "${var.name}-jobs"
  type                     = "MANAGED"
  tags                     = var.tags

  compute_resources {
    type               = var.capacity
    max_vcpus          = var.max_vcpus
    subnets            = var.subnet_ids
    security_group_ids = [var.security_group_id]
  }
}

resource "aws_batch_job_queue" "this" {
  name     = "${var.name}-jobs"
  state    = "ENABLED"
  priority = 1
  tags     = var.tags

  compute_environment_order {
    order               = 1
    compute_environment = aws_batch_compute_environment.this.arn
  }
}

resource "aws_batch_job_definition" "stage" {
  for_each = local.stages

  name                  = "${var.name}-${each.key}"
  type                  = "container"
  platform_capabilities = ["FARGATE"]
  propagate_tags        = true
  tags                  = var.tags

  # A reclaimed Spot task is retried (the map job resumes from its checkpoint); a job that
  # exits non-zero (e.g. 3: some firms failed) is not, so its failures manifest stands.
  retry_strategy {
    attempts = 3

    evaluate_on_exit {
      on_status_reason = "Your Spot Task was interrupted*"
      action           = "RETRY"
    }

    evaluate_on_exit {
      on_reason = "*"
      action    = "EXIT"
    }
  }

  timeout {
    attempt_duration_seconds = var.resources[each.key].timeout_s
  }

  container_properties = jsonencode({
    image            = var.images[each.key]
    command          = each.value.command
    jobRoleArn       = var.job_role_arn
    executionRoleArn = var.execution_role_arn
    resourceRequirements = [
      { type = "VCPU", value = tostring(var.resources[each.key].vcpu) },
      { type = "MEMORY", value = tostring(var.resources[each.key].memory_mib) },
    ]
    environment = [for key in sort(keys(local.environment)) : { name = key, value = local.environment[key] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.jobs.name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
    networkConfiguration         = { assignPublicIp = var.assign_public_ip ? "ENABLED" : "DISABLED" }
    fargatePlatformConfiguration = { platformVersion = "LATEST" }
  })
}

# Where the jobs log: `ftm cloud smoke` prints the LLM client's recovery waits from here.
resource "aws_ssm_parameter" "setting" {
  # checkov:skip=CKV2_AWS_34: a log group's name, not a secret
  for_each = {
    jobs_log_group = aws_cloudwatch_log_group.jobs.name
  }

  name  = "${var.ssm_prefix}${each.key}"
  type  = "String"
  value = each.value
  tags  = var.tags
}
