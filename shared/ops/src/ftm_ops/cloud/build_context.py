"""What an image's build reads from the repository: its Dockerfile's COPY sources, less what
`.dockerignore` keeps out of the build context (the repository root, for every image).

`ftm cloud deploy` tags each image with a hash of exactly these files, so an image whose
inputs did not change keeps its tag (and is not pushed again) whatever else changed.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from ftm_ops.cloud.errors import CloudError

DOCKERIGNORE = ".dockerignore"


@dataclass(frozen=True)
class IgnoreRule:
    pattern: re.Pattern[str]
    keep: bool  # a `!pattern` line: put back what an earlier line left out


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax: `*` and `?` within one path segment, `**` across any number."""
    if "[" in pattern or "\\" in pattern:
        raise CloudError(
            f"{DOCKERIGNORE}: {pattern!r}: character classes and escapes are not supported "
            "here (ftm's image tags read the file too): write the pattern without them"
        )
    parts, rest = [], pattern
    while rest:
        if rest.startswith("**/"):
            parts.append("(?:.*/)?")
            rest = rest[3:]
        elif rest.startswith("**"):
            parts.append(".*")
            rest = rest[2:]
        else:
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(rest[0], re.escape(rest[0])))
            rest = rest[1:]
    return re.compile("".join(parts) + r"\Z")


def read_dockerignore(repo_root: Path) -> list[IgnoreRule]:
    path = repo_root / DOCKERIGNORE
    if not path.is_file():
        return []
    rules = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        cleaned = posixpath.normpath(line.removeprefix("!").strip().lstrip("/"))
        rules.append(IgnoreRule(_pattern_regex(cleaned), keep))
    return rules


def is_ignored(path: str, rules: list[IgnoreRule]) -> bool:
    """Docker's rule: the last line matching the path, or a folder above it, decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    ignored = False
    for rule in rules:
        if any(rule.pattern.match(candidate) for candidate in candidates):
            ignored = not rule.keep
    return ignored


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: comments dropped, continuations joined."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\[ \t]*\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        word, _, arguments = line.strip().partition(" ")
        if word:
            found.append((word.upper(), arguments.strip()))
    return found


def declared_args(dockerfile: str) -> set[str]:
    """The build arguments a Dockerfile declares (`ARG NAME[=default]`): docker ignores the
    others, so they cannot change the image."""
    return {
        arguments.partition("=")[0].strip()
        for instruction, arguments in _instructions(dockerfile)
        if instruction == "ARG"
    }


def copy_sources(dockerfile: str) -> list[str]:
    """The repository paths (or globs) a Dockerfile's COPY and ADD lines read; `--from` ones
    read another stage or image, not the build context."""
    sources: list[str] = []
    for instruction, arguments in _instructions(dockerfile):
        if instruction not in ("COPY", "ADD"):
            continue
        words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
        if any(word.startswith("--from=") for word in words):
            continue
        paths = [word for word in words if not word.startswith("--")][:-1]
        if any("$" in path for path in paths):
            raise CloudError(
                f"COPY {arguments}: a variable in a COPY source cannot be resolved for the "
                "image's content tag: name the path"
            )
        sources += [posixpath.normpath(path.lstrip("/")) for path in paths]
    return sources


def context_files(repo_root: Path, dockerfile: Path) -> list[str]:
    """Every file of the build context that the Dockerfile's COPY lines take (sorted,
    relative to the repository root)."""
    rules = read_dockerignore(repo_root)
    files: set[str] = set()
    for source in copy_sources(dockerfile.read_text(encoding="utf-8")):
        matches = sorted(repo_root.glob(source))
        if not matches:
            raise CloudError(f"{dockerfile}: COPY {source}: no such file in {repo_root}")
        if is_ignored(source, rules):
            raise CloudError(
                f"{dockerfile}: COPY {source}: {DOCKERIGNORE} leaves it out of the build "
                f"context; take it out of {repo_root / DOCKERIGNORE}"
            )
        for match in matches:
            for path in [match] if match.is_file() else match.rglob("*"):
                relative = path.relative_to(repo_root).as_posix()
                if path.is_file() and not is_ignored(relative, rules):
                    files.add(relative)
    return sorted(files)
