"""What a saved model's ``predict``/``evaluate`` take, as raw columns: one float64 array
(NaN: missing) and the texts of its text columns, in the model's column order
(:mod:`nnplug.data.encoding` then encodes them).

Columns are matched **by name** wherever both sides have names: a DataFrame whose column
labels are all strings, or a :class:`~nnplug.safeio.tables.Table` read from a file with a
header, against the model's ``feature_names``. Columns the model does not use are ignored;
a column it needs that is missing, or a name given twice, is an
:class:`~nnplug.errors.InputError` naming them. Anything else (arrays, lists, frames with
unnamed columns) is positional and must have the model's width.

Cells may be numbers or text: text in a numeric column must spell a number (ASCII
decimals, :func:`nnplug.safeio.text.number`), ``None``, NaN or a missing-value text
(``NA``, ``?``, ``""``...: :func:`nnplug.safeio.tables.is_missing`) is missing; in a
categorical column a text is its category (stripped of surrounding spaces, as the CSV
reader does) and a number stands for its text (``3.0`` -> ``"3"``).
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from nnplug.data.encoding import number_text
from nnplug.errors import InputError
from nnplug.safeio.tables import Table, is_missing
from nnplug.safeio.text import number, one_line

Raw = tuple[np.ndarray, dict[int, list[str]]]


def _quoted(names: Sequence[str]) -> str:
    return one_line(", ".join(f"'{one_line(n, 60)}'" for n in names), 300)


def _by_name(labels: Sequence[str], names: Sequence[str], what: str) -> list[int]:
    """The positions of ``names`` among the column ``labels``, checked."""
    wanted, have = set(names), set(labels)
    dupes = sorted(n for n, k in Counter(labels).items() if k > 1 and n in wanted)
    if dupes:
        raise InputError(f"{what} names the column {_quoted(dupes)} more than once")
    missing = [n for n in names if n not in have]
    if missing:
        raise InputError(
            f"{what} lacks the model's feature column{'s' if len(missing) > 1 else ''} "
            f"{_quoted(missing)} (its columns: {one_line(', '.join(map(str, labels)), 200)})"
        )
    where = {label: j for j, label in enumerate(labels)}
    return [where[n] for n in names]


def _cell(value: Any, text: bool) -> tuple[float | None, str | None, str]:
    """``(number, text, problem)`` of one cell: a number for a numeric column, a category
    text for a categorical one, neither when missing; ``problem`` when it is neither."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, None, ""
    if isinstance(value, (str, np.str_)):
        if is_missing(value):
            return None, None, ""
        if text:
            return None, value.strip(" \t\r\n"), ""
        parsed = number(value)
        if parsed is None:
            return None, None, f"{one_line(repr(str(value)), 42)} is not a number"
        return parsed, None, ""
    if isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, complex):
        v = float(value)
        if not math.isfinite(v):
            return None, None, "" if math.isnan(v) else f"{v} is not a finite number"
        return (None, number_text(v), "") if text else (v, None, "")
    return None, None, f"{one_line(repr(value), 42)} is neither a number nor a text"


def _column(values: np.ndarray, text: bool, shown: str) -> tuple[np.ndarray, list[str] | None]:
    """One column of cells as floats (NaN: missing), or level indices into its texts."""
    values = np.asarray(values).reshape(-1)
    if values.dtype.kind in "biuf":
        return values.astype(np.float64), None
    out = np.full(len(values), np.nan)
    levels: dict[str, int] = {}
    seen: dict[Any, float] = {}
    for i, value in enumerate(values.tolist()):
        try:
            key = (type(value), value)
            if key in seen:
                out[i] = seen[key]
                continue
        except TypeError:  # unhashable
            key = None
        num, txt, problem = _cell(value, text)
        if problem:
            raise InputError(f"input row {i + 1}, column {shown}: {problem}")
        cell = num if txt is None else levels.setdefault(txt, len(levels))
        out[i] = np.nan if cell is None else cell
        if key is not None:
            seen[key] = out[i]
    return out, (list(levels) if text else None)


def _columns(cols: list[Any], text_at: Collection[int], names: Sequence[str] | None) -> Raw:
    shown = [f"'{one_line(n, 60)}'" for n in names] if names else None
    X = np.empty((len(cols[0]) if cols else 0, len(cols)), np.float64)
    levels: dict[int, list[str]] = {}
    for j, values in enumerate(cols):
        X[:, j], texts = _column(values, j in text_at, shown[j] if shown else str(j + 1))
        if texts is not None:
            levels[j] = texts
    return X, levels


def raw_rows(X: Any, names: Sequence[str] | None, width: int, text_at: Collection[int] = ()) -> Raw:
    """``X`` as the model's ``width`` raw columns: ``(float64 rows, texts of the text
    columns)``; ``text_at``: the model's categorical columns (positions)."""
    if isinstance(X, Table):
        if names and X.columns:
            picks = _by_name(X.columns, names, "the input")
            levels = {j: X.levels[p] for j, p in enumerate(picks) if p in X.levels}
            return np.asarray(X.X, np.float64)[:, picks], levels
        X, levels = np.asarray(X.X), dict(X.levels)
        _check_width(X.shape[1] if X.ndim == 2 else 1, width)
        return X.astype(np.float64), levels
    if hasattr(X, "columns") and hasattr(X, "iloc"):  # a DataFrame
        labels = list(X.columns)
        if names and labels and all(isinstance(c, str) for c in labels):
            picks = _by_name(labels, names, "the DataFrame")
            return _columns([X.iloc[:, p].to_numpy() for p in picks], text_at, names)
        _check_width(len(labels), width)
        return _columns([X.iloc[:, j].to_numpy() for j in range(len(labels))], text_at, names)
    try:
        A = np.asarray(X)
    except (TypeError, ValueError):
        raise InputError(
            "input must be rows of numbers (or texts for categorical columns)"
        ) from None
    if A.ndim == 1 and A.size == width:
        A = A[None, :]
    A = A.reshape(len(A), -1) if A.ndim >= 2 else A.reshape(-1, 1)
    _check_width(A.shape[1], width)
    if A.dtype.kind in "biuf":
        return A.astype(np.float64), {}
    return _columns([A[:, j] for j in range(A.shape[1])], text_at, names)


def _check_width(got: int, width: int) -> None:
    if got != width:
        raise InputError(f"the model expects {width} features per row, the input has {got}")


def target_numbers(y: np.ndarray) -> np.ndarray:
    """Regression targets given as text (a CSV's cells) or objects, as float64 -- each an
    ASCII decimal number, else an :class:`~nnplug.errors.InputError` naming its row."""
    values = np.asarray(y, dtype=object)
    flat = values.reshape(len(values), -1)
    out = np.empty(flat.shape, np.float64)
    for j in range(flat.shape[1]):
        column, _ = _column(flat[:, j], False, "'target'")
        out[:, j] = column
    return out.reshape(values.shape)
