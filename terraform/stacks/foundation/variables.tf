variable "services" {
  description = "Services with an image: one ECR repository each (services/*/Dockerfile)"
  type        = list(string)
}
