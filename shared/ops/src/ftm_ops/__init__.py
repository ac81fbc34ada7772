"""ftm's operations: what an operator runs (the `ftm` command) and never a service image."""
