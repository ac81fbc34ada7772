"""A source read into memory, and how its errors name the file, the rows and the columns."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ftm_shared.errors import InputError


class IngestError(InputError):
    """Bad input; the message names the file, the column and, where it helps, the rows."""


@dataclass(frozen=True)
class Source:
    """`frame`'s index holds each row's place as the user finds it in the file: its line in a
    CSV or JSON Lines file (counted from 1, the CSV header being line 1), its 0-based row in a
    Parquet file (as pandas shows it); `row_word` says which."""

    path: Path
    name: str
    frame: pd.DataFrame
    row_word: str = "row"

    def rows(self, index: pd.Index) -> str:
        return f"{self.row_word}(s) {preview(index)}"

    def error(self, column: str, problem: str, index: pd.Index) -> IngestError:
        return IngestError(f"{self.path}: column {column!r} {problem} in {self.rows(index)}")

    def with_frame(self, frame: pd.DataFrame) -> Source:
        return Source(self.path, self.name, frame, self.row_word)


def require_file(path: Path) -> None:
    if not path.is_file():
        raise IngestError(f"{path}: no such file")


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """A file that cannot be read (permissions, a folder where a file should be) is one line
    naming it, whichever file of a source it was."""
    try:
        yield
    except OSError as error:
        where = error.filename or path
        raise IngestError(f"{where}: cannot be read ({error.strerror or error})") from None


def preview(items: Sequence[object] | pd.Index) -> str:
    shown = ", ".join(str(item) for item in items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")


def not_utf8(path: Path, error: UnicodeDecodeError) -> IngestError:
    return IngestError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})")
