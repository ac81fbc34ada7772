output "bucket_name" {
  description = "The data bucket"
  value       = module.storage.bucket_name
}

output "repository_urls" {
  description = "ECR repository URL per service"
  value       = module.storage.repository_urls
}
