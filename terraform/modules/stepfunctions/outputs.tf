output "state_machine_arn" {
  description = "ARN of the pipeline's state machine"
  value       = aws_sfn_state_machine.pipeline.arn
}
