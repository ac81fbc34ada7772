"""ftm's library, imported by every service: settings, storage, data contracts, LLM client."""

__version__ = "0.1.0"
