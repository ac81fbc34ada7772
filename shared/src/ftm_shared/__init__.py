"""ftm's common package: settings, storage, data contracts and the embedded local cloud."""

__version__ = "0.1.0"
