"""Write the Python services' Dockerfiles from services/Dockerfile.template.

Each service keeps a Dockerfile of its own (so `docker build -f services/<name>/Dockerfile .`,
the images workflow and `ftm cloud deploy` stay as they are), and all of them come from one
template: a fix to the build is made once. The image copies every workspace member's
pyproject (uv reads the whole workspace), so a new member reaches every image here too.
vllm-server is not among them: it builds on the vLLM image.

    python tools/dockerfiles.py            # write services/<name>/Dockerfile
    python tools/dockerfiles.py --check    # exit 1 when one differs (tests/test_workspace.py)
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "services" / "Dockerfile.template"
SERVICES = ("map-worker", "reduce-worker", "model-tester")


def _pyproject(member: Path) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((member / "pyproject.toml").read_text())


def workspace_members(root: Path = ROOT) -> list[Path]:
    patterns = _pyproject(root)["tool"]["uv"]["workspace"]["members"]
    return sorted(path for pattern in patterns for path in root.glob(pattern) if path.is_dir())


def render(service: str, root: Path = ROOT) -> str:
    project = _pyproject(root / "services" / service)
    (package_dir,) = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    members = [member.relative_to(root).as_posix() for member in workspace_members(root)]
    copies = "\n".join(f"COPY {member}/pyproject.toml {member}/" for member in members)
    return (
        TEMPLATE.read_text()
        .replace("@MEMBER_PYPROJECTS@", copies)
        .replace("@PACKAGE@", project["project"]["name"])
        .replace("@MODULE@", Path(package_dir).name)
        .replace("@SERVICE@", service)
    )


def stale(root: Path = ROOT) -> list[str]:
    """The services whose Dockerfile is not what the template gives now."""
    return [
        service
        for service in SERVICES
        if (root / "services" / service / "Dockerfile").read_text() != render(service, root)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a Dockerfile differs")
    if parser.parse_args().check:
        differ = stale()
        for service in differ:
            print(f"services/{service}/Dockerfile differs: run `python tools/dockerfiles.py`")
        return 1 if differ else 0
    for service in SERVICES:
        (ROOT / "services" / service / "Dockerfile").write_text(render(service))
        print(f"wrote services/{service}/Dockerfile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
