"""model-tester: base model + LoRA adapter from S3, medical extraction, evaluation, remote runs."""
