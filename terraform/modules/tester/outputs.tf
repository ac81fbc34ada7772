output "launch_template_name" {
  description = "Launch template of the model-tester GPU box"
  value       = aws_launch_template.tester.name
}

output "instance_tag" {
  description = "Tag the box carries (REMOTE_INSTANCE_TAG, also in SSM)"
  value       = local.settings.remote_instance_tag
}
