"""A user's tables, read one way whatever the format: CSV (:mod:`nnplug.safeio.csvtables`)
and ``.npy``/``.npz`` arrays (:mod:`nnplug.safeio.npztables`) both give a :class:`Table`.

What every table gets, whichever the format and whoever reads it:

* the file is a regular file and what it needs fits ``NNPLUG_MAX_BYTES``
  (:mod:`nnplug.safeio.limits`, :mod:`nnplug.safeio.npy`);
* numbers are ASCII decimals (:func:`nnplug.safeio.text.number`): ``１２``, ``1_000`` are text;
* a missing value (a cell :func:`cell` finds empty, ``NA``, ``NaN``, ``?``...; a NaN or an
  infinity in an array; a missing target), a non-numeric or a non-finite one is an error
  naming the file, the line (CSV) or row (arrays) and the column -- or, with
  ``drop_missing``, its row is skipped and counted (:attr:`Table.note`);
* a table has at least one row; every error is one line, and any text from the file in it
  went through :func:`~nnplug.safeio.text.one_line`.

The caller decides what a table means (which columns or arrays, what a dataset is) and may
give a ``hint`` that the errors about a bad value end with: what its user can do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio.text import is_infinite, number, one_line

#: what a cell holding no value says (case-insensitive, ASCII spaces around ignored)
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
TEXT = "non-numeric value"
_SPACES = " \t\r\n"  # ASCII only: a Unicode space is not part of a number


@dataclass
class Table:
    """Rows of finite numbers ``X`` (float64 from CSV, the file's dtype from arrays), the
    target ``y`` when one was asked for (CSV: its texts; arrays: the array), the names of
    ``X``'s columns when the file has a header, and what ``drop_missing`` skipped."""

    X: np.ndarray
    y: np.ndarray | None = None
    columns: list[str] | None = None
    dropped: int = 0
    first_drop: str = ""

    @property
    def note(self) -> str:
        """``"dropped 3 of 50 rows with ... (first: line 6, ...)"``, or "" if none was."""
        if not self.dropped:
            return ""
        return (
            f"dropped {self.dropped} of {self.dropped + len(self.X)} rows with missing or "
            f"non-numeric values (first: {self.first_drop})"
        )


def is_missing(text: str) -> bool:
    """Does a cell (a feature or a target) hold no value?"""
    return text.strip(_SPACES).lower() in MISSING


def cell(text: str) -> tuple[float | None, str]:
    """``(number, "")``, or ``(None, why)`` for a missing, non-finite or non-numeric cell."""
    text = text.strip(_SPACES)
    if text.lower() in MISSING:
        return None, "missing value"
    value = number(text)
    if value is not None:
        return value, ""
    if is_infinite(text):
        return None, f"non-finite value {one_line(repr(text), 42)}"
    return None, f"{TEXT} {one_line(repr(text), 42)}"


def bad_value(path: Path, problem: str, hint: str) -> DataError:
    """The error for the first bad value (``problem`` names where it is), plus the hint."""
    return DataError(f"{path}: {problem}" + (f" ({hint})" if hint else ""))


def no_rows(path: Path, why: str = "") -> DataError:
    return DataError(f"{path}: no usable data rows{why}")
