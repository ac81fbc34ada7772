output "job_queue_arn" {
  description = "ARN of the job queue"
  value       = aws_batch_job_queue.this.arn
}

output "job_definition_arns" {
  description = "ARN of the job definition per stage (map, reduce)"
  value       = { for stage, definition in aws_batch_job_definition.stage : stage => definition.arn }
}

output "log_group_name" {
  description = "CloudWatch log group of the jobs"
  value       = aws_cloudwatch_log_group.jobs.name
}
