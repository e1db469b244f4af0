"""A user's tables, read one way whatever the format: CSV (:mod:`nnplug.safeio.csvtables`)
and ``.npy``/``.npz`` arrays (:mod:`nnplug.safeio.npztables`) both give a :class:`Table`.

What every table gets, whichever the format and whoever reads it:

* the file is a regular file and what it needs fits ``NNPLUG_MAX_BYTES``
  (:mod:`nnplug.safeio.limits`, :mod:`nnplug.safeio.npy`);
* numbers are ASCII decimals (:func:`nnplug.safeio.text.number`): ``１２``, ``1_000`` are text;
* a missing value (a cell :func:`cell` finds empty, ``NA``, ``NaN``, ``?``...; a NaN in an
  array; a missing target), a non-numeric or a non-finite one is an error naming the file,
  the line (CSV) or row (arrays) and the column -- or, with ``drop_missing``, its row is
  skipped and counted (:attr:`Table.note`); with ``keep_missing`` a missing feature value
  is kept as NaN (the caller fills it) and a row without its target is skipped and counted;
* text columns (CSV, when the caller asks for them): a column holding text is read as
  categories -- ``X`` holds each cell's index into :attr:`Table.levels` (NaN: missing);
* a table has at least one row; every error is one line, and any text from the file in it
  went through :func:`~nnplug.safeio.text.one_line`.

The caller decides what a table means (which columns or arrays, what a dataset is) and may
give a ``hint`` that the errors about a bad value end with: what its user can do about it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio.limits import open_regular
from nnplug.safeio.text import is_infinite, number, one_line

#: what a cell holding no value says (case-insensitive, ASCII spaces around ignored)
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
TEXT = "non-numeric value"
_SPACES = " \t\r\n"  # ASCII only: a Unicode space is not part of a number


@dataclass
class Table:
    """Rows of numbers ``X`` (float64 from CSV, the file's dtype from arrays; NaN only for
    a missing value kept with ``keep_missing``), the target ``y`` when one was asked for
    (CSV: its texts; arrays: the array), the names of ``X``'s columns when the file has
    them, what was skipped, and the text columns: ``levels[j]`` lists the distinct texts of
    column ``j`` (in order of appearance) and ``X[:, j]`` holds each cell's index into them."""

    X: np.ndarray
    y: np.ndarray | None = None
    columns: list[str] | None = None
    dropped: int = 0
    first_drop: str = ""
    levels: dict[int, list[str]] = field(default_factory=dict)

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


def digest(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex): which file a model was trained on."""
    h = hashlib.sha256()
    with open_regular(Path(path), "data file", DataError) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
