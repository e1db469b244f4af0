"""Raw table columns -> the network's input columns (:class:`nnplug.base.Encoding`), fitted
on the training split only, applied to every split and, from a model file, to raw inputs.

Raw columns come as one float64 array and the texts of its text columns -- what the table
reader gives (:class:`nnplug.safeio.tables.Table`): a numeric column holds its numbers
(NaN: missing), a text column the index of each cell's text in ``levels[j]`` (NaN:
missing).

* a numeric column stays one column; a missing value becomes the training split's
  median (``impute``), else it is refused;
* a text column is categorical: its categories are the texts the training split holds,
  sorted, one 0/1 column each; a text the training split did not hold, or a missing one, is
  all zeros -- scikit-learn's ``OneHotEncoder(handle_unknown="ignore")``. A number given
  for a categorical column is its text (:func:`number_text`: ``3.0`` is ``"3"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nnplug.base import Column, Encoding
from nnplug.errors import DataError, InputError


def number_text(value: float) -> str:
    """A number as the category text it stands for: ``3.0`` -> ``"3"``, ``0.5`` -> ``"0.5"``."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


def shown_names(names: Sequence[str]) -> list[str]:
    """``'name'`` for messages, when the caller gives no sanitised names: ``repr`` escapes
    line breaks and control characters."""
    return [repr(str(n))[:62] for n in names]


def fit_encoding(
    X_train: np.ndarray,
    names: Sequence[str],
    levels: Mapping[int, Sequence[str]],
    *,
    impute: bool,
    what: str = "data",
    shown: Sequence[str] | None = None,
) -> Encoding:
    """The encoding of raw columns ``names`` fitted on the training rows ``X_train``
    (``shown``: the names as messages print them, quoted)."""
    X_train = np.asarray(X_train, np.float64)
    present = ~np.isnan(X_train)
    empty = ~present.any(axis=0)
    numeric = np.ones(X_train.shape[1], bool)
    numeric[list(levels)] = False
    # numeric columns at once (a table may have millions): the median of each one's values
    medians: list[float | None] = [None] * X_train.shape[1]
    if impute and numeric.any() and not (empty & numeric).any():
        whole = numeric & present.all(axis=0)
        if whole.any():
            medians_whole = np.median(X_train[:, whole], axis=0).tolist()
            for j, m in zip(np.flatnonzero(whole).tolist(), medians_whole, strict=True):
                medians[j] = m
        for j in np.flatnonzero(numeric & ~whole).tolist():  # columns with gaps
            medians[j] = float(np.median(X_train[present[:, j], j]))
    columns = []
    for j in np.flatnonzero(empty).tolist():
        if j in levels or impute:
            shown = shown or shown_names(names)
            raise DataError(
                f"{what}: column {shown[j]} has no value in the training split; leave it out "
                f"with --exclude"
            )
    for j, name in enumerate(names):
        if j in levels:
            texts, x = levels[j], X_train[:, j]
            found = {texts[int(i)] for i in np.unique(x[present[:, j]])}
            columns.append(Column(name, categories=sorted(found)))
        else:
            columns.append(Column(name, median=medians[j]))
    return Encoding(columns)


def _category_index(column: Column, x: np.ndarray, texts: Sequence[str] | None) -> np.ndarray:
    """Each row's category index in ``column.categories``; -1 for unknown or missing."""
    assert column.categories is not None
    index = {c: i for i, c in enumerate(column.categories)}
    missing = np.isnan(x)
    if texts is None:  # numbers given for a categorical column: their texts
        uniq, inverse = np.unique(np.where(missing, 0.0, x), return_inverse=True)
        lut = np.array([index.get(number_text(v), -1) for v in uniq.tolist()], np.int64)
        out = lut[inverse.reshape(-1)] if len(uniq) else np.zeros(0, np.int64)
    else:
        lut = np.array([index.get(t, -1) for t in texts] + [-1], np.int64)
        out = lut[np.where(missing, len(texts), x).astype(np.int64)]
    return np.where(missing, -1, out)


def encode(
    encoding: Encoding,
    X: np.ndarray,
    levels: Mapping[int, Sequence[str]] | None = None,
    what: str = "input",
    shown: Sequence[str] | None = None,
) -> np.ndarray:
    """Raw columns ``X`` (with the texts ``levels`` of its text columns) as the network's
    input columns, float64. A missing value the encoding does not fill, or text where it
    expects a number, is an :class:`~nnplug.errors.InputError` naming row and column
    (``shown``: the column names as messages print them, quoted)."""
    levels = levels or {}
    shown = shown or shown_names(encoding.names)
    X = np.asarray(X, np.float64)
    out = np.zeros((len(X), encoding.width), np.float64)
    pos = 0
    for j, column in enumerate(encoding.columns):
        x = X[:, j]
        if column.categories is None:
            if j in levels:
                raise InputError(
                    f"{what}: column {shown[j]} holds text; the model reads it as numbers"
                )
            missing = np.isnan(x)
            if missing.any():
                if column.median is None:
                    row = int(np.flatnonzero(missing)[0]) + 1
                    raise InputError(
                        f"{what}: row {row}, column {shown[j]}: missing value (the model "
                        f"was trained without filling gaps: --drop-missing)"
                    )
                x = np.where(missing, column.median, x)
            out[:, pos] = x
        else:
            k = len(column.categories)
            index = _category_index(column, x, levels.get(j))
            out[:, pos : pos + k] = index[:, None] == np.arange(k)
        pos += column.width
    return out


def encoding_from_record(record: object, in_features: int) -> Encoding:
    """The :class:`Encoding` a model file's ``encoding`` record describes, checked (a
    ``ValueError`` saying what is wrong): names, categories (texts, distinct), medians
    (finite numbers) and a total width of ``in_features``."""
    if not isinstance(record, dict) or not isinstance(record.get("columns"), list):
        raise ValueError("encoding must be a record with a list of columns")
    columns = []
    for rec in record["columns"]:
        if not isinstance(rec, dict) or not isinstance(rec.get("name"), str):
            raise ValueError("encoding columns must be records with a name")
        cats, median = rec.get("categories"), rec.get("median")
        if cats is not None and not (
            isinstance(cats, list)
            and cats
            and all(isinstance(c, str) for c in cats)
            and len(set(cats)) == len(cats)
        ):
            raise ValueError("encoding categories must be distinct texts")
        if median is not None and (
            isinstance(median, bool)
            or not isinstance(median, (int, float))
            or not np.isfinite(median)
            or cats is not None
        ):
            raise ValueError("an encoding median must be a finite number of a numeric column")
        columns.append(
            Column(rec["name"], categories=cats, median=None if median is None else float(median))
        )
    encoding = Encoding(columns)
    if encoding.width != in_features or len(set(encoding.names)) != len(columns):
        raise ValueError(
            f"encoding columns must be distinct names encoding {in_features} input features"
        )
    return encoding
