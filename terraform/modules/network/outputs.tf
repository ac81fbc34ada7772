output "batch_security_group_id" {
  description = "Security group of the Batch jobs"
  value       = aws_security_group.batch.id
}

output "vllm_lb_security_group_id" {
  description = "Security group of vLLM's internal load balancer"
  value       = aws_security_group.vllm_lb.id
}

output "vllm_tasks_security_group_id" {
  description = "Security group of the vLLM tasks"
  value       = aws_security_group.vllm_tasks.id
}

output "gpu_instances_security_group_id" {
  description = "Security group of the GPU container instances"
  value       = aws_security_group.gpu_instances.id
}
