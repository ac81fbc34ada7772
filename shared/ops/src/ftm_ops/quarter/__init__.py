"""A quarter's pipeline run from this machine: its stages in the order `ftm_shared.pipeline`
defines, each as the process it is in AWS."""
