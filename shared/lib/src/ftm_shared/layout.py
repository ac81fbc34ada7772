"""The object-key layout of the data contracts, as functions (their columns: `schemas.py`).

Services never spell a key themselves: a change of layout is a change here.
"""

from __future__ import annotations

import re

from ftm_shared.errors import InputError

QUARTER_PATTERN = re.compile(r"^(?P<year>\d{4})Q(?P<quarter>[1-4])$")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*$")


def validate_quarter(quarter: str) -> str:
    if not QUARTER_PATTERN.match(quarter):
        raise InputError(f"quarter must look like 2017Q1 (year, 'Q', 1-4), got {quarter!r}")
    return quarter


def safe_segment(value: str, what: str) -> str:
    """Reject a value that would escape its folder when used inside a key (`/`, `..`)."""
    if not _SAFE_SEGMENT.match(value) or ".." in value:
        raise InputError(f"{what} {value!r} cannot be used in an object key")
    return value


def raw_transcripts_prefix(quarter: str) -> str:
    return f"raw/transcripts/quarter={validate_quarter(quarter)}/"


def raw_transcripts_key(quarter: str, source_name: str) -> str:
    return raw_transcripts_prefix(quarter) + safe_segment(source_name, "source name") + ".parquet"


def firm_metadata_key() -> str:
    return "reference/firm_metadata.parquet"


def firm_topics_prefix(quarter: str) -> str:
    return f"intermediate/firm-topics/quarter={validate_quarter(quarter)}/"


def firm_topics_part_key(quarter: str, batch_id: str, part: int) -> str:
    batch = safe_segment(batch_id, "batch id")
    return firm_topics_prefix(quarter) + f"{batch}_part-{part:05d}.parquet"


def progress_prefix(quarter: str) -> str:
    return f"progress/{validate_quarter(quarter)}/"


def checkpoint_key(quarter: str, batch_id: str) -> str:
    return progress_prefix(quarter) + f"{safe_segment(batch_id, 'batch id')}_checkpoint.json"


def failures_key(quarter: str, batch_id: str) -> str:
    return progress_prefix(quarter) + f"{safe_segment(batch_id, 'batch id')}_failures.json"


def themes_prefix(quarter: str) -> str:
    return f"processed/themes/quarter={validate_quarter(quarter)}/"


def themes_key(quarter: str) -> str:
    return themes_prefix(quarter) + "themes.parquet"


def theme_contributions_key(quarter: str) -> str:
    return themes_prefix(quarter) + "theme_contributions.parquet"


def reduce_report_key(quarter: str) -> str:
    return progress_prefix(quarter) + "reduce_report.json"


def models_prefix(model_prefix: str) -> str:
    return f"models/{safe_segment(model_prefix, 'model prefix')}/"


def model_prefix_for(model_prefix: str, timestamp: str) -> str:
    return models_prefix(model_prefix) + f"{safe_segment(timestamp, 'timestamp')}/"


def evaluation_prefix(model_prefix: str, timestamp: str) -> str:
    prefix = safe_segment(model_prefix, "model prefix")
    return f"evaluations/{prefix}/{safe_segment(timestamp, 'timestamp')}/"
