"""vllm-server: settings and launch command of the vLLM OpenAI-compatible server."""
