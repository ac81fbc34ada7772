"""The images' build: for amd64 whatever the laptop, a build context that keeps every file a
Dockerfile COPYs, and a content tag that changes exactly when an image's inputs do."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ftm_ops.cloud import images
from ftm_ops.cloud.build_context import (
    context_files,
    copy_sources,
    declared_args,
    is_ignored,
    read_dockerignore,
)
from ftm_ops.cloud.errors import CloudError

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
SERVICES = images.discover_services(REPO)


def test_every_image_is_built_for_amd64() -> None:
    for service in SERVICES:
        argv = images.build_command(service, "URI", REPO).argv
        assert argv[:3] == ("docker", "buildx", "build")
        assert argv[argv.index("--platform") + 1] == "linux/amd64"
        # Loaded into the engine, where `docker push` takes it from.
        assert "--load" in argv


def test_vllm_comes_from_the_upstream_amd64_image() -> None:
    text = (REPO / images.dockerfile("vllm-server")).read_text()
    assert "\nFROM --platform=linux/amd64 vllm/vllm-openai:v" in text


def tracked(path: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", path], cwd=REPO, capture_output=True, text=True, check=True
    )
    return listed.stdout.split()


@pytest.mark.parametrize("service", SERVICES)
def test_dockerignore_keeps_every_file_a_dockerfile_copies(service: str) -> None:
    rules = read_dockerignore(REPO)
    assert rules, "no .dockerignore at the repository root (the build context of every image)"
    sources = copy_sources((REPO / images.dockerfile(service)).read_text())
    assert sources
    for source in sources:
        files = tracked(source)
        assert files, f"{service}: COPY {source} takes no tracked file"
        assert not [f for f in files if is_ignored(f, rules)], f"{service}: COPY {source}"


def test_dockerignore_leaves_out_what_no_image_needs() -> None:
    rules = read_dockerignore(REPO)
    for path in (
        ".git/HEAD",
        ".nox/quality/bin/python",
        ".venv/lib/x.py",
        "shared/lib/src/ftm_shared/__pycache__/config.cpython-311.pyc",
        ".ftm/runs/2017Q1/x.parquet",
        "site/index.html",
        "tests/quarter/x.json",
        "shared/ops/tests/test_x.py",
        "terraform/stacks/platform/.terraform/providers/x",
        "models/qwen/model-1.safetensors",
    ):
        assert is_ignored(path, rules), path


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        (["**/__pycache__"], "__pycache__/a.pyc", True),  # `**/` matches no folder too
        (["**/__pycache__"], "a/b/__pycache__/c.pyc", True),
        (["tests"], "shared/ops/tests/x.py", False),  # a plain name is from the root only
        (["tests"], "tests/x.py", True),  # a folder takes everything under it
        (["*.md"], "docs/x.md", False),  # `*` stays within one segment
        (["docs", "!docs/keep.md"], "docs/keep.md", False),  # the last match decides
        (["!docs/keep.md", "docs"], "docs/keep.md", True),
        (["/build/"], "build/x", True),
    ],
)
def test_patterns_follow_dockers_rules(
    tmp_path: Path, patterns: list[str], path: str, ignored: bool
) -> None:
    (tmp_path / ".dockerignore").write_text("\n".join(["# comment", "", *patterns]) + "\n")
    assert is_ignored(path, read_dockerignore(tmp_path)) is ignored


def test_copy_sources_are_read_like_docker_reads_them() -> None:
    dockerfile = "\n".join(
        [
            "ARG UV_VERSION=1",
            "FROM x AS uv",
            "FROM y",
            "COPY --from=uv /uv /usr/local/bin/uv",
            "# COPY commented/out ./",
            "COPY --chown=1:1 pyproject.toml \\",
            "    uv.lock ./",
            'COPY ["services/a/src", "/src"]',
            "ADD shared/lib/src shared/lib/src",
        ]
    )
    assert copy_sources(dockerfile) == [
        "pyproject.toml",
        "uv.lock",
        "services/a/src",
        "shared/lib/src",
    ]
    assert declared_args(dockerfile) == {"UV_VERSION"}


def test_a_copy_source_the_context_leaves_out_is_named(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("")
    (tmp_path / ".dockerignore").write_text("src\n")
    (tmp_path / "Dockerfile").write_text("FROM x\nCOPY src /src\n")
    with pytest.raises(CloudError, match=r"COPY src: \.dockerignore leaves it out"):
        context_files(tmp_path, tmp_path / "Dockerfile")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what the images are built from, to edit."""
    for name in ("pins.env", "pyproject.toml", "uv.lock", "README.md", ".dockerignore"):
        shutil.copy2(REPO / name, tmp_path / name)
    skip = shutil.ignore_patterns("__pycache__", ".venv", "*.egg-info")
    for folder in ("services", "shared", "expectations", "docs"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=skip)
    return tmp_path


def tags(repo: Path) -> dict[str, str]:
    return {service: images.content_tag(service, repo) for service in SERVICES}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {service for service in before if before[service] != after[service]}


def test_content_tags_change_only_with_what_an_image_copies(repo: Path) -> None:
    before = tags(repo)
    assert before == tags(REPO) and len(set(before.values())) == len(SERVICES)
    # Outside every build: no tag moves, dirty tree or not.
    (repo / "README.md").write_text("edited\n")
    (repo / "docs" / "new-page.md").write_text("new\n")
    (repo / "services" / "vllm-server" / "tests" / "test_new.py").write_text("")
    cache = repo / "shared" / "lib" / "src" / "ftm_shared" / "__pycache__"
    cache.mkdir()
    (cache / "config.cpython-311.pyc").write_bytes(b"\0")
    assert tags(repo) == before
    # One service's source: that service's tag only.
    cli = repo / "services" / "map-worker" / "src" / "map_worker" / "__main__.py"
    cli.write_text(cli.read_text() + "\n# edited\n")
    after = tags(repo)
    assert changed(before, after) == {"map-worker"}
    # The library: every image copies it.
    (repo / "shared" / "lib" / "src" / "ftm_shared" / "new.py").write_text("")
    assert changed(after, tags(repo)) == set(SERVICES)


def test_content_tags_follow_the_lock_and_the_pins_an_image_declares(repo: Path) -> None:
    before = tags(repo)
    lock = repo / "uv.lock"
    lock.write_text(lock.read_text() + "\n")
    python_services = {s for s in SERVICES if s != "vllm-server"}
    assert changed(before, tags(repo)) == python_services  # vLLM's image has its own pip
    after = tags(repo)
    pins = repo / "pins.env"
    # NOX_VERSION is no ARG of any Dockerfile: a bump moves no tag; TORCH_VERSION is.
    pins.write_text(pins.read_text().replace("NOX_VERSION=", "NOX_VERSION=9"))
    assert tags(repo) == after
    pins.write_text(pins.read_text().replace("TORCH_VERSION=", "TORCH_VERSION=9"))
    assert changed(after, tags(repo)) == python_services


def test_content_tags_follow_the_dockerfile_and_the_executable_bit(repo: Path) -> None:
    before = tags(repo)
    dockerfile = repo / images.dockerfile("vllm-server")
    dockerfile.write_text(dockerfile.read_text() + "\n# edited\n")
    after = tags(repo)
    assert changed(before, after) == {"vllm-server"}
    script = repo / "services" / "reduce-worker" / "src" / "reduce_worker" / "__main__.py"
    script.chmod(0o755)
    assert changed(after, tags(repo)) == {"reduce-worker"}
