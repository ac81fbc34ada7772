from ftm_ops.cli import entrypoint

entrypoint()
