"""From the rows of a user's table to the :class:`~nnplug.base.Data` the csv and npz datasets
train on: the task and classes from the target, the seeded split, then -- fitted on the
training split only -- the column encoding (missing values filled with the median,
categorical columns one-hot encoded: :mod:`nnplug.data.encoding`) and the input scaling
(:mod:`nnplug.data.fitting`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nnplug.base import Data, Encoding
from nnplug.errors import DataError
from nnplug.safeio.limits import check_bytes
from nnplug.safeio.text import ShownNames, number, one_line

MAX_CLASSES = 20
#: bytes of one column's encoding record, its name and its JSON in a model file (bound)
ENCODING_COLUMN_BYTES = 512
#: a classification target needs at least this many rows per class on average
MIN_ROWS_PER_CLASS = 2
log = logging.getLogger("nnplug.datasets")


def numeric_values(raw: np.ndarray) -> np.ndarray | None:
    """``raw`` as float64 when every value is a finite number -- text strictly in ASCII
    (:func:`nnplug.safeio.text.number`: "١٢", "１２", "1_000" are text) -- else None."""
    if raw.dtype.kind in "iubf":
        return raw.astype(np.float64)
    if raw.dtype.kind not in "UO" or raw.size == 0:
        return None
    uniq, inverse = np.unique(
        raw.astype(str) if raw.dtype.kind == "U" else raw, return_inverse=True
    )
    parsed = [number(v) if isinstance(v, str) else None for v in uniq.tolist()]
    if any(v is None for v in parsed):
        return None
    return np.asarray(parsed, np.float64)[inverse].reshape(raw.shape)


def encode_target(values: Any, task: str | None, what: str) -> tuple[str, np.ndarray, list | None]:
    """``(task, y, class names)``: labels become ``0..k-1`` in sorted order. Integral
    numbers of any size (``1e20``) keep their values: classes are keyed by the float."""
    raw = np.asarray(values)
    if raw.dtype.kind == "O" and not all(isinstance(v, str) for v in raw.ravel().tolist()):
        raw = raw.astype(str)
    numeric = numeric_values(raw)
    if numeric is not None and numeric.ndim == 1 and not np.all(np.isfinite(numeric)):
        bad = int(np.flatnonzero(~np.isfinite(numeric))[0])
        raise DataError(f"{what}: target of row {bad} is {numeric[bad]}")
    integral = numeric is not None and bool(np.all(numeric == np.round(numeric)))
    if task is None:
        k = len(np.unique(numeric)) if numeric is not None else 0
        few = integral and numeric is not None and k <= MAX_CLASSES and k <= len(numeric) // 2
        task = "classification" if numeric is None or few else "regression"
    if task == "regression":
        if numeric is None:
            bad = next((i for i, v in enumerate(raw.ravel().tolist()) if number(str(v)) is None), 0)
            raise DataError(
                f"{what}: --task regression needs a numeric target; row {bad} "
                f"is {one_line(repr(str(raw.ravel()[bad])), 60)}"
            )
        rows = numeric.reshape(len(numeric), -1)
        big = np.abs(rows).max(axis=1, initial=0) > float(np.finfo(np.float32).max)
        if big.any():
            bad = int(np.flatnonzero(big)[0])
            raise DataError(
                f"{what}: target of row {bad} is {np.abs(rows[bad]).max():.3g} in size, "
                f"beyond the float32 range nnplug trains in (3.4e38); rescale the target"
            )
        return task, numeric.astype(np.float32), None
    if raw.ndim != 1:
        raise DataError(f"{what}: classification needs a 1-d target, got shape {raw.shape}")
    if numeric is not None and integral:
        keys = numeric + 0.0  # -0.0 and 0.0 are one class
        uniq = np.unique(keys)
        names = [str(int(k)) for k in uniq]  # exact for any finite float, no int64 overflow
    else:
        keys = raw.astype(str)
        uniq = np.unique(keys)
        names = [str(k) for k in uniq]
    if len(uniq) < 2:
        raise DataError(f"{what}: the target has a single class; nothing to classify")
    check_class_count(len(uniq), len(keys), numeric is not None, what)
    return task, np.searchsorted(uniq, keys).astype(np.int64), names


def check_class_count(k: int, n: int, numeric: bool, what: str) -> None:
    """Refuse a classification target of more than :data:`MAX_CLASSES` classes with
    fewer than :data:`MIN_ROWS_PER_CLASS` rows per class on average (an identifier or a
    measured value, not a label: 100k distinct texts in 100k rows made a 100k-output
    network) -- before anything is built for its ``k`` outputs."""
    if k <= MAX_CLASSES or k * MIN_ROWS_PER_CLASS <= n:
        return
    hint = (
        "; the target is numeric: pass --task regression to predict its value"
        if numeric
        else "; is it an identifier or free text rather than a label?"
    )
    raise DataError(
        f"{what}: the target has {k} distinct values in {n} rows, too many classes to "
        f"learn (at most one per {MIN_ROWS_PER_CLASS} rows){hint}"
    )


def _encoding(
    X: dict[str, np.ndarray],
    names: Sequence[str] | None,
    levels: Mapping[int, Sequence[str]],
    impute: bool,
    what: str,
) -> Encoding | None:
    """Fit the column encoding on ``X["train"]`` and apply it to every split (in place)
    when it changes anything: categories, or missing values to fill. ``None`` when the
    columns are read as they are (no text column, and no gap or ``impute`` off): a model
    of such data reads numbers as they come (a gap at prediction time is refused in one
    line), and its file holds no record per column (a table may have millions)."""
    from nnplug.data.encoding import encode, fit_encoding

    if not (impute or levels) or X["train"].ndim != 2:
        return None
    if not levels and not any(v.dtype.kind == "f" and np.isnan(v).any() for v in X.values()):
        return None
    width = X["train"].shape[1]
    # one record per column (its name, median or categories; ~200 bytes measured, the
    # model file's JSON of it too) and the encoded float64 copy of every split: judged
    # before any is made (a compressed npz of millions of columns with gaps is small)
    rows = sum(len(v) for v in X.values())
    check_bytes(
        width * (ENCODING_COLUMN_BYTES + 8 * rows),
        f"{what}: encoding {width} columns of {rows} rows",
    )
    names = list(names) if names else [f"column {j + 1}" for j in range(width)]
    shown = ShownNames(names)
    encoding = fit_encoding(X["train"], names, levels, impute=impute, what=what, shown=shown)
    gaps = {
        k: np.isnan(v).sum(axis=0) if v.dtype.kind == "f" else np.zeros(width, np.int64)
        for k, v in X.items()
    }
    missing = np.sum(list(gaps.values()), axis=0).tolist()
    for j in np.flatnonzero(missing).tolist():
        encoding.columns[j].missing = int(missing[j])
    if levels or any(c.missing for c in encoding.columns):
        for k in X:
            X[k] = encode(encoding, X[k], levels, what, shown)
    notes = [
        f"{one_line(c.name, 60)} one-hot encoded ({len(c.categories)} categories)"
        for c in encoding.columns
        if c.categories is not None
    ]
    filled = [c for c in encoding.columns if c.categories is None and c.missing]
    if filled:
        notes.append(
            f"{sum(c.missing for c in filled)} missing values filled with the training "
            f"split's medians ("
            + one_line(", ".join(f"{c.name} {c.missing}" for c in filled), 120)
            + "; --drop-missing skips such rows instead)"
        )
    if notes:
        log.warning("%s: %s", what, "; ".join(notes))
    return encoding


def make_data(
    parts: dict[str, tuple[np.ndarray, np.ndarray]],
    task: str | None,
    *,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    what: str,
    meta: dict,
    names: Sequence[str] | None = None,
    levels: Mapping[int, Sequence[str]] | None = None,
    impute: bool = False,
) -> Data:
    """Split (when needed), encode the target, encode and scale the features: the
    :class:`Data` to train on.

    ``parts`` holds ``"all"``, or ``"train"`` + ``"test"`` (+ optional ``"val"``); their
    features are raw columns (``names``; text columns as indices into ``levels``, NaN for a
    missing value, filled with the training median when ``impute``).
    """
    from nnplug.data.fitting import scale_splits
    from nnplug.data.split import holdout

    order = [k for k in ("train", "val", "test", "all") if k in parts]
    width = int(np.prod(parts[order[0]][0].shape[1:]))
    if width == 0:
        raise DataError(
            f"{what}: no feature columns (X has shape {parts[order[0]][0].shape});"
            f" a dataset needs at least one feature besides the target"
        )
    ys = np.concatenate([np.asarray(parts[k][1]) for k in order])
    task, y_all, classes = encode_target(ys, task, what)
    bounds = np.cumsum([0] + [len(parts[k][1]) for k in order])
    y = {k: y_all[bounds[i] : bounds[i + 1]] for i, k in enumerate(order)}
    X: dict[str, np.ndarray] = {k: parts[k][0] for k in order}

    stratify = task == "classification"
    if "all" in X:
        rest, test = holdout(y["all"], test_fraction, seed, stratify)
        X["train"], y["train"] = X["all"][rest], y["all"][rest]
        X["test"], y["test"] = X["all"][test], y["all"][test]
        del X["all"]
    if "val" not in X:
        keep, val = holdout(y["train"], val_fraction, seed + 1, stratify)
        X["val"], y["val"] = X["train"][val], y["train"][val]
        X["train"], y["train"] = X["train"][keep], y["train"][keep]
    if len(X["train"]) < 2 or len(X["test"]) == 0:
        raise DataError(
            f"{what}: too few rows to split ({len(X['train'])} train, {len(X['test'])} test)"
        )
    encoding = _encoding(X, names, levels or {}, impute, what)
    kind = meta.pop("scale", "auto")
    if encoding is not None and encoding.categorical and kind in (None, "auto"):
        kind = "standard"  # one-hot columns are not pixels, however many there are
    # the columns as named for errors about their scaling (when encoding kept them as they are)
    columns = (
        ShownNames(names, quoted=False)
        if names and X["train"].ndim == 2 and X["train"].shape[1] == len(names)
        else None
    )
    (X["train"], X["val"], X["test"]), scale, scaling = scale_splits(
        X["train"], X["val"], X["test"], kind=kind, dataset=what, columns=columns
    )
    return Data(
        X["train"],
        y["train"],
        X["val"],
        y["val"],
        X["test"],
        y["test"],
        task=task,
        classes=classes,
        scale=scale,
        feature_names=list(names) if names else None,
        meta=meta,
        scaling=scaling,
        encoding=encoding,
    )
