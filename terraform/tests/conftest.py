"""Parsed terraform (python-hcl2) for the structural tests, with HCL's quoting removed; what
the Batch jobs write (from `ftm_shared.layout`) and a small evaluator for the rendered IAM
policy that grants it."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import hcl2
import pytest

from ftm_shared import layout

TERRAFORM = Path(__file__).resolve().parents[1]
REPO = TERRAFORM.parent
# What python-hcl2 adds to a block besides its arguments.
PARSER_KEYS = {"__is_block__", "__comments__", "__inline_comments__"}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k not in PARSER_KEYS}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse_dir(directory: Path) -> dict[str, Any]:
    """Blocks of every .tf file of one module or stack, by kind then name (resources and data
    sources as `type.name`; `terraform` blocks as a list)."""
    found: dict[str, Any] = {"variable": {}, "output": {}, "resource": {}, "module": {}}
    found.update(locals={}, data={}, terraform=[])
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            blocks = _clean(hcl2.load(handle))
        for kind in ("variable", "output", "module"):
            for block in blocks.get(kind, []):
                found[kind].update(block)
        for kind in ("resource", "data"):
            for block in blocks.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        found[kind][f"{rtype}.{name}"] = body
        for block in blocks.get("locals", []):
            found["locals"].update(block)
        found["terraform"] += blocks.get("terraform", [])
    return found


@pytest.fixture(scope="session")
def modules() -> dict[str, dict[str, Any]]:
    return {p.name: parse_dir(p) for p in sorted((TERRAFORM / "modules").iterdir())}


@pytest.fixture(scope="session")
def stacks() -> dict[str, dict[str, Any]]:
    return {p.name: parse_dir(p) for p in sorted((TERRAFORM / "stacks").iterdir())}


# The layout's keys that are inputs of the jobs (written by `ftm ingest`, the operator, the
# model-tester box or `ftm cloud upload-weights`), never by map or reduce.
INPUTS = {
    "raw_transcripts_prefix",
    "raw_transcripts_key",
    "firm_metadata_key",
    "models_prefix",
    "model_prefix_for",
    "evaluation_prefix",
}
EXAMPLE_ARGUMENTS = {
    "quarter": "2017Q1",
    "run_id": "r1",
    "shard": "s1",
    "part": 0,
    "execution": "e1",
    "source_name": "maec",
    "model_prefix": "qwen3-8b",
    "timestamp": "20261207",
    "version": 1,
}


def layout_keys() -> Iterator[tuple[str, str]]:
    """(name, an example key) for every key and prefix of the layout: its functions and its
    constants (templates filled in)."""
    for name, value in inspect.getmembers(layout):
        if isinstance(value, str) and name.endswith(("_KEY", "_PREFIX")):
            yield name.lower(), value.format(**EXAMPLE_ARGUMENTS)
        elif inspect.isfunction(value) and name.endswith(("_key", "_prefix")):
            parameters = inspect.signature(value).parameters
            yield name, value(**{p: EXAMPLE_ARGUMENTS[p] for p in parameters})


@pytest.fixture(scope="session")
def job_keys() -> dict[str, str]:
    """An example of every key the map and reduce jobs write, by layout function."""
    return {name: key for name, key in layout_keys() if name not in INPUTS}


@pytest.fixture(scope="session")
def input_keys() -> dict[str, str]:
    """An example of every key that is the jobs' input, by layout function."""
    return {name: key for name, key in layout_keys() if name in INPUTS}


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _allows(policy: dict[str, Any], action: str, resource: str) -> bool:
    """Whether an identity policy of Allow statements (no Deny, no conditions, as the job
    role's) allows `action` on `resource`; IAM's `*` and `?` wildcards."""
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and "Condition" not in statement, statement
        if any(fnmatchcase(action, a) for a in _listed(statement["Action"])) and any(
            fnmatchcase(resource, r) for r in _listed(statement["Resource"])
        ):
            return True
    return False


@pytest.fixture(scope="session")
def allows() -> Callable[[dict[str, Any], str, str], bool]:
    return _allows
