"""pins.env, the versions pinned in more than one file, read for the noxfile and the tests.

`ftm_ops.cloud.images.read_pins` reads the same file for `ftm cloud deploy` (the noxfile runs
without the workspace installed, so it cannot import ftm_ops); tests/test_pins.py holds the
two readers, and every file that repeats a pin, equal to the file.
"""

from __future__ import annotations

import re
from pathlib import Path

PINS_FILE = Path(__file__).resolve().parents[1] / "pins.env"
# What make, bash and $GITHUB_ENV all read the same way: no spaces, quotes, `$` or `#`.
LINE = re.compile(r"^(?P<key>[A-Z][A-Z0-9_]*)=(?P<value>[^\s\"'$#\\]+)$")


def read_pins(path: Path = PINS_FILE) -> dict[str, str]:
    """KEY -> value; comments and blank lines skipped, any other line is an error."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = LINE.match(line)
        if found is None:
            raise ValueError(f"{path}:{number}: not a plain KEY=value line: {raw!r}")
        pins[found["key"]] = found["value"]
    return pins


def docker_build_args(pins: dict[str, str]) -> list[str]:
    """`--build-arg KEY=value` for every pin, in key order (an image ignores those it lacks)."""
    return [arg for key in sorted(pins) for arg in ("--build-arg", f"{key}={pins[key]}")]
