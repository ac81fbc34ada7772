"""map-worker: per-firm BERTopic topics on Ray, named by an LLM, checkpointed and resumable."""
