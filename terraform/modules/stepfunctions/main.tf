resource "aws_cloudwatch_log_group" "executions" {
  # checkov:skip=CKV_AWS_338: execution logs; retention is a variable (default 90 days) to keep storage cost bounded
  name              = "/aws/states/${var.name}-pipeline"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sfn_state_machine" "pipeline" {
  name     = "${var.name}-pipeline"
  role_arn = var.role_arn
  type     = "STANDARD"
  tags     = var.tags

  definition = templatefile("${path.module}/definition.asl.json", {
    job_queue_arn             = var.job_queue_arn
    map_job_definition_arn    = var.job_definition_arns.map
    reduce_job_definition_arn = var.job_definition_arns.reduce
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.executions.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }
}

resource "aws_ssm_parameter" "setting" {
  # checkov:skip=CKV2_AWS_34: the state machine's ARN, not a secret
  for_each = {
    state_machine_arn = aws_sfn_state_machine.pipeline.arn
  }

  name  = "${var.ssm_prefix}${each.key}"
  type  = "String"
  value = each.value
  tags  = var.tags
}
