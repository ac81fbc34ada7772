output "llm_base_url" {
  description = "vLLM's OpenAI-compatible URL on the internal load balancer (also in SSM)"
  value       = module.ecs.llm_base_url
}

output "state_machine_arn" {
  description = "The pipeline's state machine (also in SSM)"
  value       = module.stepfunctions.state_machine_arn
}

output "vllm_autoscaling_group_name" {
  description = "GPU Auto Scaling group `ftm cloud smoke` scales (also in SSM)"
  value       = module.ecs.autoscaling_group_name
}

output "model_tester_launch_template" {
  description = "Launch template of the model-tester GPU box (`aws ec2 run-instances --launch-template LaunchTemplateName=...`)"
  value       = module.tester.launch_template_name
}
