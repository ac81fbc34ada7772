# Least privilege: each principal gets only the ARNs it touches. The Batch ARNs are scoped by
# name prefix rather than read from the batch module, so this module depends on nothing.

data "aws_partition" "current" {}

locals {
  create    = var.existing_roles == null
  partition = data.aws_partition.current.partition
  bucket    = "arn:${local.partition}:s3:::${var.bucket_name}"
  ssm       = "arn:${local.partition}:ssm:${var.region}:${var.account_id}:parameter${trimsuffix(var.ssm_prefix, "/")}"
  batch     = "arn:${local.partition}:batch:${var.region}:${var.account_id}"
  weights   = regex("^s3://(?P<bucket>[^/]+)/(?P<prefix>.+)$", var.vllm_weights_s3_uri)
  # What the jobs write, overwrite and delete (ftm_shared.layout): the runs' plans, progress,
  # parts and reports (runs/), the published firm topics (intermediate/) and themes and
  # exposure (processed/). The transcripts (raw/), reference data and model weights (models/)
  # are inputs: the jobs only read them.
  job_output_prefixes = ["runs/", "intermediate/", "processed/"]
}

data "aws_iam_policy_document" "assume" {
  for_each = local.create ? toset(["ecs-tasks", "ec2", "states"]) : toset([])

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["${each.key}.amazonaws.com"]
    }

    # Confused-deputy guard where the service sets the source account on every call.
    dynamic "condition" {
      for_each = each.key == "states" ? [var.account_id] : []

      content {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [condition.value]
      }
    }
  }
}

# Pull images, write logs: for every ECS/Batch task.
resource "aws_iam_role" "task_execution" {
  count              = local.create ? 1 : 0
  name               = "${var.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.assume["ecs-tasks"].json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "task_execution" {
  count      = local.create ? 1 : 0
  role       = aws_iam_role.task_execution[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# map and reduce: read the bucket, write only their outputs' prefixes, read the settings.
data "aws_iam_policy_document" "batch_job" {
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket]
  }

  statement {
    sid       = "ReadObjects"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket}/*"]
  }

  # AbortMultipartUpload: a large part upload that fails is cleaned up, not left billing.
  statement {
    sid       = "WriteOutputs"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for prefix in local.job_output_prefixes : "${local.bucket}/${prefix}*"]
  }

  statement {
    sid       = "ReadSettings"
    actions   = ["ssm:GetParametersByPath", "ssm:GetParameter", "ssm:GetParameters"]
    resources = [local.ssm, "${local.ssm}/*"]
  }
}

resource "aws_iam_role" "batch_job" {
  count              = local.create ? 1 : 0
  name               = "${var.name}-batch-job"
  assume_role_policy = data.aws_iam_policy_document.assume["ecs-tasks"].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "batch_job" {
  count  = local.create ? 1 : 0
  role   = aws_iam_role.batch_job[0].id
  policy = data.aws_iam_policy_document.batch_job.json
}

# vLLM: read its weights' prefix only.
data "aws_iam_policy_document" "vllm_task" {
  statement {
    sid       = "ListWeights"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${local.weights.bucket}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.weights.prefix}*"]
    }
  }

  statement {
    sid       = "ReadWeights"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${local.weights.bucket}/${local.weights.prefix}*"]
  }
}

resource "aws_iam_role" "vllm_task" {
  count              = local.create ? 1 : 0
  name               = "${var.name}-vllm-task"
  assume_role_policy = data.aws_iam_policy_document.assume["ecs-tasks"].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "vllm_task" {
  count  = local.create ? 1 : 0
  role   = aws_iam_role.vllm_task[0].id
  policy = data.aws_iam_policy_document.vllm_task.json
}

# GPU container instances: register with ECS; the SSM agent, so an operator can open a
# shell on a host that will not serve (`aws ssm start-session --target <instance id>`).
resource "aws_iam_role" "gpu_instance" {
  count              = local.create ? 1 : 0
  name               = "${var.name}-gpu-instance"
  assume_role_policy = data.aws_iam_policy_document.assume["ec2"].json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "gpu_instance" {
  count      = local.create ? 1 : 0
  role       = aws_iam_role.gpu_instance[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

resource "aws_iam_role_policy_attachment" "gpu_instance_ssm" {
  count      = local.create ? 1 : 0
  role       = aws_iam_role.gpu_instance[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "gpu_instance" {
  count = local.create ? 1 : 0
  name  = "${var.name}-gpu-instance"
  role  = aws_iam_role.gpu_instance[0].name
  tags  = var.tags
}

# The model-tester GPU box: driven through SSM (`model-tester remote ...`), pulls its image
# from ECR and, inside the container (IMDSv2 hop limit 2, see the tester module), reads the
# adapters and writes evaluations.
data "aws_iam_policy_document" "tester" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken takes no resource ARN
  }

  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = ["arn:${local.partition}:ecr:${var.region}:${var.account_id}:repository/${var.name}/model-tester"]
  }

  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket]
  }

  statement {
    sid       = "ReadAdapters"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket}/models/*", "${local.bucket}/evaluations/*"]
  }

  statement {
    sid       = "WriteEvaluations"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket}/evaluations/*"]
  }

  statement {
    sid       = "ReadSettings"
    actions   = ["ssm:GetParametersByPath", "ssm:GetParameter", "ssm:GetParameters"]
    resources = [local.ssm, "${local.ssm}/*"]
  }
}

resource "aws_iam_role" "tester" {
  count              = local.create ? 1 : 0
  name               = "${var.name}-model-tester"
  assume_role_policy = data.aws_iam_policy_document.assume["ec2"].json
  tags               = var.tags
}

# The SSM agent's own permissions (send-command, get-command-invocation).
resource "aws_iam_role_policy_attachment" "tester_ssm" {
  count      = local.create ? 1 : 0
  role       = aws_iam_role.tester[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy" "tester" {
  count  = local.create ? 1 : 0
  role   = aws_iam_role.tester[0].id
  policy = data.aws_iam_policy_document.tester.json
}

resource "aws_iam_instance_profile" "tester" {
  count = local.create ? 1 : 0
  name  = "${var.name}-model-tester"
  role  = aws_iam_role.tester[0].name
  tags  = var.tags
}

# Step Functions: run this deployment's Batch jobs (.sync needs the managed EventBridge rule).
data "aws_iam_policy_document" "step_functions" {
  # checkov:skip=CKV_AWS_111: batch:TerminateJob and log delivery support no resource-level permissions, so their Resource is "*"
  # checkov:skip=CKV_AWS_356: batch:DescribeJobs/TerminateJob, log delivery and X-Ray take only "*" (see each statement)
  statement {
    sid     = "RunJobs"
    actions = ["batch:SubmitJob"]
    resources = [
      "${local.batch}:job-queue/${var.name}-*",
      "${local.batch}:job-definition/${var.name}-*",
    ]
  }

  statement {
    sid       = "FollowJobs"
    actions   = ["batch:DescribeJobs", "batch:TerminateJob"]
    resources = ["*"] # these Batch actions support no resource-level permissions
  }

  statement {
    sid       = "SyncIntegration"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = ["arn:${local.partition}:events:${var.region}:${var.account_id}:rule/StepFunctionsGetEventsForBatchJobsRule"]
  }

  statement {
    sid = "DeliverLogs"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"] # CloudWatch Logs vended delivery takes no resource ARNs
  }

  statement {
    sid       = "Trace"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    resources = ["*"] # X-Ray takes no resource ARNs
  }

  # The plan's record (ReadPlan) and its shards (the Distributed Map's item reader).
  statement {
    sid       = "ReadPlans"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket}/runs/*"]
  }

  # The Distributed Map runs each shard as a child execution of this state machine.
  statement {
    sid       = "RunShards"
    actions   = ["states:StartExecution"]
    resources = ["arn:${local.partition}:states:${var.region}:${var.account_id}:stateMachine:${var.name}-pipeline"]
  }

  statement {
    sid       = "FollowShards"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = ["arn:${local.partition}:states:${var.region}:${var.account_id}:execution:${var.name}-pipeline/*"]
  }
}

resource "aws_iam_role" "step_functions" {
  count              = local.create ? 1 : 0
  name               = "${var.name}-step-functions"
  assume_role_policy = data.aws_iam_policy_document.assume["states"].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "step_functions" {
  count  = local.create ? 1 : 0
  role   = aws_iam_role.step_functions[0].id
  policy = data.aws_iam_policy_document.step_functions.json
}
