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


def previous_quarter(quarter: str) -> str:
    """The calendar quarter before `quarter` (2017Q1 -> 2016Q4): what lineage links to."""
    before = _ordinal(quarter) - 1
    return f"{before // 4}Q{before % 4 + 1}"


def _ordinal(quarter: str) -> int:
    match = QUARTER_PATTERN.match(validate_quarter(quarter))
    assert match is not None  # validate_quarter raised otherwise
    return int(match["year"]) * 4 + int(match["quarter"]) - 1


def quarters_between(first: str, last: str) -> list[str]:
    """Every calendar quarter from `first` to `last`, both included, in order."""
    start, end = _ordinal(first), _ordinal(last)
    if start > end:
        raise InputError(f"quarter range {first}..{last} runs backwards")
    return [f"{n // 4}Q{n % 4 + 1}" for n in range(start, end + 1)]


def parse_quarters(spec: str) -> list[str]:
    """`2017Q1..2017Q4`, `2017Q1,2017Q3` or `2017Q2` as quarters in calendar order, each once."""
    quarters: set[str] = set()
    for part in (p.strip() for p in spec.split(",")):
        first, dots, last = part.partition("..")
        if dots and not (first and last):
            raise InputError(f"quarter range must look like 2017Q1..2017Q4, got {part!r}")
        quarters.update(quarters_between(first, last) if dots else [validate_quarter(part)])
    return sorted(quarters, key=_ordinal)


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


def published_firm_topics_key(quarter: str) -> str:
    """The current run's firm topics, in one object where the contract has always had them."""
    return firm_topics_prefix(quarter) + "firm_topics.parquet"


def themes_prefix(quarter: str) -> str:
    return f"processed/themes/quarter={validate_quarter(quarter)}/"


def themes_key(quarter: str) -> str:
    return themes_prefix(quarter) + "themes.parquet"


def theme_contributions_key(quarter: str) -> str:
    return themes_prefix(quarter) + "theme_contributions.parquet"


def theme_quotes_key(quarter: str) -> str:
    """Each theme's most representative sentences (`schemas.THEME_QUOTES`)."""
    return themes_prefix(quarter) + "theme_quotes.parquet"


def theme_lineage_key(quarter: str) -> str:
    """The quarter's themes linked to the previous quarter's (`schemas.THEME_LINEAGE`)."""
    return themes_prefix(quarter) + "theme_lineage.parquet"


def exposure_prefix(quarter: str) -> str:
    return f"processed/exposure/quarter={validate_quarter(quarter)}/"


def exposure_key(quarter: str) -> str:
    """The current run's firm-theme exposure panel (`schemas.FIRM_THEME_EXPOSURE`)."""
    return exposure_prefix(quarter) + "firm_theme_exposure.parquet"


# A quarter's runs: everything one run writes lives under its own prefix, so runs never mix;
# the contract paths above hold the current run's result (see `ftm_shared.runs`).


def runs_prefix(quarter: str) -> str:
    return f"runs/quarter={validate_quarter(quarter)}/"


def run_prefix(quarter: str, run_id: str) -> str:
    return runs_prefix(quarter) + f"run={safe_segment(run_id, 'run id')}/"


def current_run_key(quarter: str) -> str:
    return runs_prefix(quarter) + "current.json"


# Also read by the state machine, which builds it from this template (`States.Format`).
EXECUTION_KEY = "runs/quarter={quarter}/executions/{execution}.json"


def execution_key(quarter: str, execution: str) -> str:
    """Which run an execution (of the state machine, or a local run) planned."""
    return EXECUTION_KEY.format(
        quarter=validate_quarter(quarter), execution=safe_segment(execution, "execution name")
    )


def plan_key(quarter: str, run_id: str) -> str:
    return run_prefix(quarter, run_id) + "plan.json"


def shard_items_key(quarter: str, run_id: str) -> str:
    """The plan's shards as a JSON array: what the state machine's Distributed Map reads."""
    return run_prefix(quarter, run_id) + "shards.json"


def run_manifest_key(quarter: str, run_id: str) -> str:
    return run_prefix(quarter, run_id) + "manifest.json"


def run_failures_key(quarter: str, run_id: str) -> str:
    """The quarter's failures manifest: every shard's failures, in one list."""
    return run_prefix(quarter, run_id) + "failures.json"


def shard_prefix(quarter: str, run_id: str, shard: str) -> str:
    return run_prefix(quarter, run_id) + f"shards/{safe_segment(shard, 'shard')}/"


def shard_progress_key(quarter: str, run_id: str, shard: str) -> str:
    return shard_prefix(quarter, run_id, shard) + "progress.json"


def shard_failures_key(quarter: str, run_id: str, shard: str) -> str:
    return shard_prefix(quarter, run_id, shard) + "failures.json"


def shard_lease_key(quarter: str, run_id: str, shard: str) -> str:
    """Who maps the shard now (`ftm_shared.lease`): one mapper per shard of a run."""
    return shard_prefix(quarter, run_id, shard) + "lease.json"


def shard_parts_prefix(quarter: str, run_id: str, shard: str) -> str:
    return run_prefix(quarter, run_id) + f"firm-topics/shard={safe_segment(shard, 'shard')}/"


def shard_part_key(quarter: str, run_id: str, shard: str, part: int) -> str:
    return shard_parts_prefix(quarter, run_id, shard) + f"part-{part:05d}.parquet"


def shard_sentence_parts_prefix(quarter: str, run_id: str, shard: str) -> str:
    return run_prefix(quarter, run_id) + f"sentence-topics/shard={safe_segment(shard, 'shard')}/"


def shard_sentence_part_key(quarter: str, run_id: str, shard: str, part: int) -> str:
    """Each sentence's topic (`schemas.SENTENCE_TOPICS`) for the firms of firm-topics part
    `part` of the same shard: written with it, listed through it (`runs.run_sentence_parts`)."""
    return shard_sentence_parts_prefix(quarter, run_id, shard) + f"part-{part:05d}.parquet"


def run_themes_key(quarter: str, run_id: str) -> str:
    return run_prefix(quarter, run_id) + "themes/themes.parquet"


def run_theme_contributions_key(quarter: str, run_id: str) -> str:
    return run_prefix(quarter, run_id) + "themes/theme_contributions.parquet"


def run_theme_quotes_key(quarter: str, run_id: str) -> str:
    return run_prefix(quarter, run_id) + "themes/theme_quotes.parquet"


REGISTRY_PREFIX = "processed/registry/"
REGISTRY_HEAD_KEY = REGISTRY_PREFIX + "head.json"
"""The registry's current version (compare-and-swap), and the call register it compares in."""
STABLE_THEMES_KEY = REGISTRY_PREFIX + "stable_themes.parquet"
THEME_ASSIGNMENTS_KEY = REGISTRY_PREFIX + "theme_assignments.parquet"


def registry_version_prefix(version: int) -> str:
    """Each registry version's tables; the head names the current one."""
    return f"{REGISTRY_PREFIX}versions/{version:06d}/"


def run_theme_lineage_key(quarter: str, run_id: str) -> str:
    return run_prefix(quarter, run_id) + "themes/theme_lineage.parquet"


def run_exposure_key(quarter: str, run_id: str) -> str:
    return run_prefix(quarter, run_id) + "exposure/firm_theme_exposure.parquet"


def run_reduce_report_key(quarter: str, run_id: str) -> str:
    return run_prefix(quarter, run_id) + "reduce_report.json"


def models_prefix(model_prefix: str) -> str:
    return f"models/{safe_segment(model_prefix, 'model prefix')}/"


def model_prefix_for(model_prefix: str, timestamp: str) -> str:
    return models_prefix(model_prefix) + f"{safe_segment(timestamp, 'timestamp')}/"


def evaluation_prefix(model_prefix: str, timestamp: str) -> str:
    prefix = safe_segment(model_prefix, "model prefix")
    return f"evaluations/{prefix}/{safe_segment(timestamp, 'timestamp')}/"
