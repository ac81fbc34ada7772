output "bucket_name" {
  description = "Name of the data bucket"
  value       = aws_s3_bucket.data.id
}

output "bucket_arn" {
  description = "ARN of the data bucket"
  value       = aws_s3_bucket.data.arn
}

output "repository_urls" {
  description = "ECR repository URL per service"
  value       = { for service, repo in aws_ecr_repository.service : service => repo.repository_url }
}

output "ssm_parameter_names" {
  description = "SSM parameter name per published setting"
  value       = { for key, parameter in aws_ssm_parameter.setting : key => parameter.name }
}
