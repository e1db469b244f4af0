"""Read a user's ``.npz`` (``X``/``y``, or ``X_train``/``y_train``/``X_test``/``y_test``
with optional ``X_val``/``y_val``) -- ``allow_pickle=False``, shapes and values checked."""
from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np

from nnplug.errors import DataError

log = logging.getLogger("nnplug.datasets")
LAYOUTS = ({"all": ("X", "y")},
           {"train": ("X_train", "y_train"), "test": ("X_test", "y_test")})


def read_npz(path: str | Path, *, drop_missing: bool = False
             ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"all": (X, y)}`` or ``{"train": ..., "test": ..., ["val": ...]}``."""
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: a single .npy array, expected an .npz with X and y")
    with archive:
        keys = set(archive.files)
        layout = next((lay for lay in LAYOUTS if {k for p in lay.values() for k in p} <= keys),
                      None)
        if layout is None:
            raise DataError(f"{path}: expected arrays X and y (or X_train, y_train, X_test, "
                            f"y_test); found {', '.join(sorted(keys)) or 'none'}")
        if "train" in layout and {"X_val", "y_val"} <= keys:
            layout = {**layout, "val": ("X_val", "y_val")}
        parts = {}
        for part, (xk, yk) in layout.items():
            try:
                X, y = archive[xk], archive[yk]
            except ValueError as exc:  # object arrays need pickle: refused
                raise DataError(f"{path}: cannot load {xk}/{yk} without pickle ({exc})"
                                ) from None
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise DataError(f"{path}: corrupt array {xk}/{yk} ({exc})") from None
            parts[part] = _check(X, y, xk, yk, path, drop_missing)
    widths = {p[0].shape[1:] for p in parts.values()}
    if len(widths) != 1:
        raise DataError(f"{path}: the X arrays differ in row shape: {sorted(widths)}")
    return parts


def _check(X: np.ndarray, y: np.ndarray, xk: str, yk: str, path: Path,
           drop_missing: bool) -> tuple[np.ndarray, np.ndarray]:
    if X.ndim < 2:
        raise DataError(f"{path}: {xk} must be 2-d or more (rows x features), has shape "
                        f"{X.shape}")
    if X.dtype.kind not in "biuf" or y.dtype.kind not in "biufU":
        raise DataError(f"{path}: {xk} must be numeric and {yk} numeric or text; got "
                        f"{X.dtype} and {y.dtype}")
    if len(X) != len(y):
        raise DataError(f"{path}: {xk} has {len(X)} rows but {yk} has {len(y)}")
    bad = ~np.isfinite(X.reshape(len(X), -1)).all(axis=1) if X.dtype.kind == "f" \
        else np.zeros(len(X), bool)
    if y.dtype.kind == "f":
        bad |= ~np.isfinite(y.reshape(len(y), -1)).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        if not drop_missing:
            raise DataError(f"{path}: row {first} of {xk}/{yk} has a missing (NaN) or "
                            f"infinite value (--drop-missing skips such rows)")
        log.warning("%s: dropped %d of %d rows of %s with missing or infinite values "
                    "(first: row %d)", path.name, int(bad.sum()), len(X), xk, first)
        X, y = X[~bad], y[~bad]
    return X, y
