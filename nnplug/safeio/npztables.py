"""Tables in ``.npz`` archives and ``.npy`` arrays (:mod:`nnplug.safeio.tables` says what
every table gets): the arrays of the first layout the archive holds, read within their
declared, checked sizes (:mod:`nnplug.safeio.npy`; never a pickle)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio.limits import open_regular
from nnplug.safeio.npy import NpyError, read_members, read_npy
from nnplug.safeio.tables import Table, bad_value, is_missing, no_rows
from nnplug.safeio.text import one_line

#: part -> (the key of its X, the key of its y or None): e.g. {"all": ("X", "y")}
Layout = Mapping[str, tuple[str, str | None]]
NPY, ZIP = b"\x93NUMPY", b"PK\x03\x04"


def read_arrays(
    path: str | Path,
    layouts: Sequence[Layout],
    *,
    expected: str,
    what: str = "input file",
    npy_key: str | None = None,
    drop_missing: bool = False,
    keep_missing: bool = False,
    names_key: str | None = None,
    hint: str = "",
) -> dict[str, Table]:
    """``part -> Table`` for the first of ``layouts`` whose keys the ``.npz`` at ``path``
    holds all of (``expected`` describes them in the error when none fits). A ``.npy``
    file is an archive of one array named ``npy_key`` (refused when None). ``names_key``:
    an array of text the archive may hold, naming the columns of 2-d ``X`` arrays
    (:attr:`Table.columns`). ``keep_missing``: NaN features stay (the caller fills them),
    rows without a target are skipped and counted."""
    path = Path(path)
    kind = "NumPy file" if npy_key else ".npz file"
    with open_regular(path, what, DataError) as fh:
        magic = fh.read(6)
        fh.seek(0)
        try:
            if magic == NPY:
                if not npy_key:
                    raise DataError(
                        f"{path}: a single .npy array, expected an .npz with {expected}"
                    )
                arrays = {npy_key: read_npy(fh, str(path))}
                layout = _layout(path, layouts, arrays, expected)
            elif magic[:4] == ZIP:
                members, _ = read_members(fh, str(path), keys=())
                layout = _layout(path, layouts, members, expected)
                fh.seek(0)
                keys = [k for pair in layout.values() for k in pair if k]
                if names_key and names_key in members:
                    keys.append(names_key)
                _, arrays = read_members(fh, str(path), keys=keys)
            else:
                raise NpyError(
                    "neither a .npy array nor an .npz archive" if npy_key else "not a zip archive"
                )
        except NpyError as exc:
            raise DataError(f"{path}: not a readable {kind} ({exc})") from None
    names = _names(path, arrays, names_key, [arrays[xk] for xk, _ in layout.values()])
    missing = "keep" if keep_missing and not drop_missing else "drop" if drop_missing else ""
    return {
        part: _table(path, arrays, xk, yk, missing, hint, names)
        for part, (xk, yk) in layout.items()
    }


def _names(path: Path, arrays: dict, key: str | None, Xs: list[np.ndarray]) -> list[str] | None:
    """The column names the archive holds under ``key`` (checked), else None."""
    if not key or key not in arrays:
        return None
    names = arrays[key]
    width = {int(np.prod(X.shape[1:])) for X in Xs if X.ndim == 2}
    if names.dtype.kind != "U" or names.ndim != 1 or {len(names)} != width:
        raise DataError(
            f"{path}: {key} must be {'/'.join(map(str, sorted(width))) or 'one per column'} "
            f"texts naming the columns of 2-d X arrays, has {names.dtype} {names.shape}"
        )
    out = [str(n).strip() for n in names.tolist()]
    dupes = sorted({n for n in out if out.count(n) > 1})
    if dupes:
        raise DataError(f"{path}: {key} names '{one_line(dupes[0], 60)}' twice")
    return out


def _layout(path: Path, layouts: Sequence[Layout], keys: Mapping, expected: str) -> Layout:
    for layout in layouts:
        if all(k in keys for pair in layout.values() for k in pair if k):
            return layout
    found = one_line(", ".join(sorted(keys)), 200) or "none"
    raise DataError(f"{path}: expected {expected}; found {found}")


def _rows(a: np.ndarray) -> np.ndarray:  # an explicit width: -1 fails on empty arrays
    return a.reshape(len(a), int(np.prod(a.shape[1:])))


def _missing(y: np.ndarray) -> np.ndarray:
    """Rows of a text target holding a missing value (:func:`~nnplug.safeio.tables.is_missing`)."""
    uniq, inverse = np.unique(y, return_inverse=True)
    gone = np.array([is_missing(v) for v in uniq.tolist()], bool)
    return np.asarray(_rows(gone[inverse].reshape(y.shape)).any(axis=1), bool)


def _table(
    path: Path,
    arrays: dict,
    xk: str,
    yk: str | None,
    missing: str,
    hint: str,
    names: list[str] | None = None,
) -> Table:
    """The rows of ``arrays[xk]`` (and ``arrays[yk]``): numbers, as many as the targets,
    finite, none missing; a row with a missing value is dropped or refused -- ``missing``
    ``"drop"``: dropped; ``"keep"``: NaN features kept, rows without a target dropped.
    (Targets are numbers or text: :data:`nnplug.safeio.npy.KINDS` is all an array may hold.)"""
    X, y = arrays[xk], (arrays[yk] if yk else None)
    if X.ndim == 0:
        raise DataError(f"{path}: {xk} is a single value, not rows")
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: {xk} must be numeric, got {X.dtype}")
    if y is not None and (y.ndim < 1 or len(X) != len(y)):
        raise DataError(
            f"{path}: {xk} has {len(X)} rows but {yk} has {len(y) if y.ndim else 'a single value'}"
        )
    name = f"{xk}/{yk}" if yk else xk
    none = np.zeros(len(X), bool)
    fx = _rows(X) if X.dtype.kind == "f" else None
    nan_x, inf_x = (
        (np.isnan(fx).any(axis=1), np.isinf(fx).any(axis=1)) if fx is not None else (none, none)
    )
    fy = _rows(y) if y is not None and y.dtype.kind == "f" else None
    nan_y, inf_y = (
        (np.isnan(fy).any(axis=1), np.isinf(fy).any(axis=1)) if fy is not None else (none, none)
    )
    no_target = _missing(y) if y is not None and y.dtype.kind == "U" else none
    problem = ""
    if missing == "keep":  # NaN features are filled by the caller; an infinity is not
        if (inf_x | inf_y).any():
            first = int(np.flatnonzero(inf_x | inf_y)[0])
            raise bad_value(path, f"row {first} of {name} has an infinite value", hint)
        drop = nan_y | no_target
        if drop.any():
            problem = f"row {int(np.flatnonzero(drop)[0])} of {yk}: missing target"
    else:
        bad = nan_x | inf_x | nan_y | inf_y
        drop = bad | no_target
        if drop.any():
            first = int(np.flatnonzero(drop)[0])
            problem = (
                f"row {first} of {name} has a missing (NaN) or infinite value"
                if bad[first]
                else f"row {first} of {yk}: missing target"
            )
            if missing != "drop":
                raise bad_value(path, problem, hint)
    if drop.any():
        X, y = X[~drop], (None if y is None else y[~drop])
    if len(X) == 0:
        raise no_rows(path, f" in {name}")
    return Table(X, y, names if X.ndim == 2 else None, int(drop.sum()), problem)
