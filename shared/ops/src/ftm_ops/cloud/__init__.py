"""Operating the AWS deployment: `ftm cloud deploy` (terraform + images) and `ftm cloud smoke`.

Everything account-specific is a setting (`settings.py`); nothing here names an account,
bucket or region.
"""
