"""map-worker: per-firm BERTopic topics on Ray, named by an LLM, checkpointed and resumable."""

import os

# Under `uv run`, Ray would start its workers through `uv run` again, which resolves a project
# environment of its own; ours is installed already, so workers must use this interpreter.
# Ray reads the flag when it is imported, hence here, before any module imports ray.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
