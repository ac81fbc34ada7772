output "task_execution_role_arn" {
  description = "Role ECS/Batch use to pull images and write logs"
  value       = local.create ? aws_iam_role.task_execution[0].arn : var.existing_roles.task_execution_role_arn
}

output "batch_job_role_arn" {
  description = "Role of the map and reduce jobs"
  value       = local.create ? aws_iam_role.batch_job[0].arn : var.existing_roles.batch_job_role_arn
}

output "vllm_task_role_arn" {
  description = "Role of the vLLM task"
  value       = local.create ? aws_iam_role.vllm_task[0].arn : var.existing_roles.vllm_task_role_arn
}

output "gpu_instance_profile_arn" {
  description = "Instance profile of the GPU container instances"
  value       = local.create ? aws_iam_instance_profile.gpu_instance[0].arn : var.existing_roles.gpu_instance_profile_arn
}

output "step_functions_role_arn" {
  description = "Role of the pipeline's state machine"
  value       = local.create ? aws_iam_role.step_functions[0].arn : var.existing_roles.step_functions_role_arn
}

output "tester_instance_profile_arn" {
  description = "Instance profile of the model-tester GPU box"
  value       = local.create ? aws_iam_instance_profile.tester[0].arn : var.existing_roles.tester_instance_profile_arn
}
