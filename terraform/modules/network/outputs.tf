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

output "tester_security_group_id" {
  description = "Security group of the model-tester GPU box"
  value       = aws_security_group.tester.id
}

output "availability_zones" {
  description = "Distinct Availability Zones of the subnets"
  value       = distinct(values(local.subnet_zones))
}

output "vpc_endpoint_ids" {
  description = "VPC endpoint id per service (s3, ecr.api, ecr.dkr, logs) that this module created"
  value = merge(
    { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id },
    var.s3_gateway_endpoint ? { s3 = aws_vpc_endpoint.s3[0].id } : {},
  )
}
