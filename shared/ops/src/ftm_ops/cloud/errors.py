"""The one error type of the cloud commands: its message says what to fix."""

from __future__ import annotations


class CloudError(RuntimeError):
    pass
