"""The project's own error for bad input, told apart from bugs.

Commands print an `InputError` as one line, `error: ...`, and exit 2. Any other exception,
a `ValueError` from numpy or pyarrow included, is a bug and keeps its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Input the user can fix: an option, a file, a row, a firm or an object in the bucket.

    The message names it. A `ValueError` so that callers validating a value keep working."""
