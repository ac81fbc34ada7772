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

  on_demand_fallback = var.on_demand_fallback && var.capacity == "FARGATE_SPOT"
  # Batch's blocked-queue reasons that a job state time limit action may act on
  # (AWS Batch user guide, "Jobs stuck in a RUNNABLE status").
  cancellable_reasons = [
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
  ]
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

# On-demand Fargate behind Spot: the scheduler places a job on the first environment, in the
# queue's order, that can take it, so shards still start when Spot capacity (or the account's
# separate Fargate Spot vCPU quota) runs short. Only where the first environment is Spot.
resource "aws_batch_compute_environment" "on_demand" {
  count = local.on_demand_fallback ? 1 : 0

  compute_environment_name = "${var.name}-jobs-on-demand"
  type                     = "MANAGED"
  tags                     = var.tags

  compute_resources {
    type               = "FARGATE"
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

  dynamic "compute_environment_order" {
    for_each = concat([aws_batch_compute_environment.this.arn], aws_batch_compute_environment.on_demand[*].arn)

    content {
      order               = compute_environment_order.key + 1
      compute_environment = compute_environment_order.value
    }
  }

  # A job Batch cannot place (no capacity, or it asks for more than the environments allow)
  # would wait in RUNNABLE while the GPU fleet bills; after runnable_timeout_s it is cancelled
  # and its status reason names why ("Canceled by JobStateTimeLimit action due to reason:
  # ..."), which fails the state machine's job step. `reason` is not free text: it is which of
  # Batch's blocked-queue reasons the action applies to, and only these three support it.
  dynamic "job_state_time_limit_action" {
    for_each = local.cancellable_reasons

    content {
      state            = "RUNNABLE"
      action           = "CANCEL"
      reason           = job_state_time_limit_action.value
      max_time_seconds = var.runnable_timeout_s
    }
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
