"""Read a user's ``.npz`` (``X``/``y``, or ``X_train``/``y_train``/``X_test``/``y_test``
with optional ``X_val``/``y_val``) -- ``allow_pickle=False``, shapes and values checked."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio.text import one_line

log = logging.getLogger("nnplug.datasets")
LAYOUTS = ({"all": ("X", "y")}, {"train": ("X_train", "y_train"), "test": ("X_test", "y_test")})


def read_npz(
    path: str | Path, *, drop_missing: bool = False
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"all": (X, y)}`` or ``{"train": ..., "test": ..., ["val": ...]}``; the arrays'
    declared sizes are checked before they are read (:mod:`nnplug.safeio.npy`)."""
    from nnplug.safeio.limits import open_regular
    from nnplug.safeio.npy import NpyError, read_members

    path = Path(path)
    with open_regular(path, "--data file", DataError) as fh:
        magic = fh.read(6)
        if magic == b"\x93NUMPY":
            raise DataError(f"{path}: a single .npy array, expected an .npz with X and y")
        if magic[:4] != b"PK\x03\x04":
            raise DataError(f"{path}: not a readable .npz file (not a zip archive)")
        fh.seek(0)
        try:
            members, _ = read_members(fh, f"{path}", keys=())
            keys = set(members)
            layout = next(
                (lay for lay in LAYOUTS if {k for p in lay.values() for k in p} <= keys), None
            )
            if layout is None:
                raise DataError(
                    f"{path}: expected arrays X and y (or X_train, y_train, "
                    f"X_test, y_test); found "
                    f"{one_line(', '.join(sorted(keys)), 200) or 'none'}"
                )
            if "train" in layout and {"X_val", "y_val"} <= keys:
                layout = {**layout, "val": ("X_val", "y_val")}
            fh.seek(0)
            _, arrays = read_members(fh, f"{path}", keys=[k for p in layout.values() for k in p])
        except NpyError as exc:
            raise DataError(f"{path}: not a readable .npz file ({exc})") from None
    parts = {
        part: _check(arrays[xk], arrays[yk], xk, yk, path, drop_missing)
        for part, (xk, yk) in layout.items()
    }
    widths = {p[0].shape[1:] for p in parts.values()}
    if len(widths) != 1:
        raise DataError(f"{path}: the X arrays differ in row shape: {sorted(widths)}")
    return parts


def _check(
    X: np.ndarray, y: np.ndarray, xk: str, yk: str, path: Path, drop_missing: bool
) -> tuple[np.ndarray, np.ndarray]:
    if X.ndim < 2:
        raise DataError(f"{path}: {xk} must be 2-d or more (rows x features), has shape {X.shape}")
    if X.dtype.kind not in "biuf" or y.dtype.kind not in "biufU":
        raise DataError(
            f"{path}: {xk} must be numeric and {yk} numeric or text; got {X.dtype} and {y.dtype}"
        )
    if y.ndim < 1 or len(X) != len(y):
        raise DataError(
            f"{path}: {xk} has {len(X)} rows but {yk} has {len(y) if y.ndim else 'a single value'}"
        )

    def rows(a: np.ndarray) -> np.ndarray:  # explicit width: -1 fails on empty arrays
        return a.reshape(len(a), int(np.prod(a.shape[1:])))

    bad = ~np.isfinite(rows(X)).all(axis=1) if X.dtype.kind == "f" else np.zeros(len(X), bool)
    if y.dtype.kind == "f":
        bad |= ~np.isfinite(rows(y)).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        if not drop_missing:
            raise DataError(
                f"{path}: row {first} of {xk}/{yk} has a missing (NaN) or "
                f"infinite value (--drop-missing skips such rows)"
            )
        log.warning(
            "%s: dropped %d of %d rows of %s with missing or infinite values (first: row %d)",
            path.name,
            int(bad.sum()),
            len(X),
            xk,
            first,
        )
        X, y = X[~bad], y[~bad]
    return X, y
