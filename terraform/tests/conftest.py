"""Parsed terraform (python-hcl2) for the structural tests, with HCL's quoting removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest

TERRAFORM = Path(__file__).resolve().parents[1]
REPO = TERRAFORM.parent


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse_dir(directory: Path) -> dict[str, Any]:
    """Blocks of every .tf file of one module or stack, by kind then name."""
    found: dict[str, Any] = {"variable": {}, "output": {}, "resource": {}, "module": {}}
    found["locals"] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            blocks = _clean(hcl2.load(handle))
        for kind in ("variable", "output", "module"):
            for block in blocks.get(kind, []):
                found[kind].update(block)
        for block in blocks.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    found["resource"][f"{rtype}.{name}"] = body
        for block in blocks.get("locals", []):
            found["locals"].update(block)
    return found


@pytest.fixture(scope="session")
def modules() -> dict[str, dict[str, Any]]:
    return {p.name: parse_dir(p) for p in sorted((TERRAFORM / "modules").iterdir())}


@pytest.fixture(scope="session")
def stacks() -> dict[str, dict[str, Any]]:
    return {p.name: parse_dir(p) for p in sorted((TERRAFORM / "stacks").iterdir())}
