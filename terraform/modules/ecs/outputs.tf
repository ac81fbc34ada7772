output "llm_base_url" {
  description = "OpenAI-compatible base URL of vLLM on the internal load balancer"
  value       = local.settings.llm_base_url
}

output "cluster_name" {
  description = "ECS cluster of vLLM"
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service of vLLM"
  value       = aws_ecs_service.vllm.name
}

output "autoscaling_group_name" {
  description = "GPU Auto Scaling group"
  value       = aws_autoscaling_group.gpu.name
}

output "target_group_arn" {
  description = "Target group whose health is vLLM's /health"
  value       = aws_lb_target_group.vllm.arn
}

output "log_group_name" {
  description = "CloudWatch log group of vLLM (the cloud smoke counts its chat-completion requests)"
  value       = aws_cloudwatch_log_group.vllm.name
}

output "lifetime_alarm_name" {
  description = "CloudWatch alarm that scales the GPU fleet to zero after max_lifetime_hours"
  value       = aws_cloudwatch_metric_alarm.fleet_lifetime.alarm_name
}
