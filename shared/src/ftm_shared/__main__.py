from ftm_shared.cli import entrypoint

entrypoint()
