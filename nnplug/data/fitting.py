"""Input scaling fitted on the training split only, for every built-in dataset (``--scale``).

* ``image`` -- one global scale ``1 / max(X_train)``: pixels keep their relative
  brightness (and uint8 stays uint8 in memory: the Solver scales each minibatch);
* ``standard`` -- per feature ``(x - mean) / std``, other splits clipped to the training
  range (one California test district sat at z = 182, train max 88, and alone tripled the
  test RMSE);
* ``quantile`` -- per feature through scikit-learn's ``QuantileTransformer`` to a normal
  distribution (Gorishniy et al. 2021 used it for tabular MLPs); robust to long tails;
* ``minmax`` -- per feature to [0, 1] (other splits clipped);
* ``none`` -- the numbers as they are;
* ``auto`` (default) -- ``image`` for image-like inputs (:func:`is_image_like`), else
  ``standard``.

The fitted scaling is a :class:`nnplug.base.Scaling` record (``Data.scaling``), saved in
model files as plain arrays; :mod:`nnplug.data.scaling` applies it, here and at prediction time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from nnplug.base import Scaling
from nnplug.data.scaling import affine, quantile_normal
from nnplug.errors import DataError
from nnplug.options import Option

SCALINGS = ("auto", "standard", "quantile", "minmax", "none")
#: ``nnplug train --scale``, declared by every dataset that scales its inputs
SCALE_OPTION = Option(
    "scale",
    "Input scaling [default: auto: one global scale for "
    "image-like inputs, else standard (clipped to the training range)]; "
    "quantile maps each feature to a normal distribution.",
    choices=SCALINGS,
)
#: "many columns": the fewest features a float array needs to count as an image (8 x 8)
IMAGE_MIN_FEATURES = 64
N_QUANTILES = 1000


def check_kind(kind: str | None, dataset: str) -> str:
    kind = kind or "auto"
    if kind not in SCALINGS:
        raise DataError(f"{dataset}: --scale must be one of {', '.join(SCALINGS)}, got '{kind}'")
    return kind


def is_image_like(X: np.ndarray) -> bool:
    """uint8; or rows of at least :data:`IMAGE_MIN_FEATURES` values (or more than 2-d
    samples) that all lie within [0, 1] or [0, 255]."""
    X = np.asarray(X)
    if X.dtype == np.uint8:
        return True
    width = int(np.prod(X.shape[1:])) if X.ndim > 1 else 1
    if X.dtype.kind not in "iuf" or X.size == 0 or (width < IMAGE_MIN_FEATURES and X.ndim < 3):
        return False
    lo, hi = float(np.min(X)), float(np.max(X))
    return np.isfinite(lo) and np.isfinite(hi) and lo >= 0 and (hi <= 1 or hi <= 255)


def resolve(kind: str, X_train: np.ndarray) -> str:
    """``auto`` -> ``image`` or ``standard``; other kinds as given."""
    if kind != "auto":
        return kind
    return "image" if is_image_like(X_train) else "standard"


def column_name(columns: Sequence[str] | None, j: int) -> str:
    """``column 'price'`` or ``column 3`` (1-based) for messages; names from a file come
    printable from the caller (``nnplug.safeio.text.one_line``)."""
    if columns is not None and j < len(columns):
        return f"column {str(columns[j])!r}"
    return f"column {j + 1}"


def _unscalable(X: np.ndarray, record: dict[str, Any], dataset: str, columns: Any) -> None:
    """Refuse, naming the first such column, statistics (or scaled training values) that
    are not finite: one value of 1e308 makes a standard deviation of inf, and a model
    holding it could never be loaded."""
    bad = np.zeros(X.shape[1], bool)
    for key in ("mean", "std", "min", "max"):
        bad |= ~np.isfinite(np.asarray(record[key], np.float64))
    if not bad.any():
        return
    j = int(np.flatnonzero(bad)[0])
    what = "standard deviation" if record["kind"] == "standard" else "range"
    largest = float(np.max(np.abs(X[:, j])))
    raise DataError(
        f"{dataset}: {column_name(columns, j)} cannot be scaled: its values (up to "
        f"{largest:.3g} in size) give it a {what} that is not a finite number; rescale "
        f"that column, or use --scale quantile"
    )


def fit(
    kind: str, X_train: np.ndarray, dataset: str = "data", columns: Sequence[str] | None = None
) -> dict[str, Any]:
    """The fitted record of a resolved ``kind`` on 2-d ``X_train`` (float64 statistics);
    a column whose statistics are not finite numbers is a one-line :class:`DataError`
    naming it (``columns``: the feature names, else its position)."""
    X = np.asarray(X_train, np.float64)
    if kind == "quantile":
        from sklearn.preprocessing import QuantileTransformer

        qt = QuantileTransformer(
            n_quantiles=max(2, min(N_QUANTILES, len(X))),
            output_distribution="normal",
            subsample=None,
        ).fit(X)
        return {
            "kind": kind,
            "quantiles": np.asarray(qt.quantiles_, np.float64),
            "references": np.asarray(qt.references_, np.float64),
        }
    if kind in ("standard", "minmax"):
        with np.errstate(over="ignore", invalid="ignore"):  # judged below, in one line
            if kind == "standard":
                center, spread = X.mean(axis=0), X.std(axis=0)
            else:
                center, spread = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
            stats = {"mean": center, "std": np.where(spread > 0, spread, 1.0)}
            z = affine(X, stats)
            record = {"kind": kind, **stats, "min": z.min(axis=0), "max": z.max(axis=0)}
        _unscalable(X, record, dataset, columns)
        return record
    return {"kind": kind}


def _beyond_float32(X: np.ndarray, dataset: str, columns: Sequence[str] | None) -> None:
    """Unscaled features are trained on as float32: a value beyond its range (3.4e38)
    would become infinite. One line naming the first such column."""
    if X.dtype.kind != "f" or X.dtype.itemsize <= 4 or X.size == 0:
        return
    flat = X.reshape(len(X), -1)
    big = np.abs(flat) > float(np.finfo(np.float32).max)
    if big.any():
        j = int(np.flatnonzero(big.any(axis=0))[0])
        raise DataError(
            f"{dataset}: {column_name(columns, j)} holds {float(flat[big[:, j], j][0]):.3g}, "
            f"beyond the float32 range the network computes in (3.4e38); rescale that "
            f"column, or use --scale standard or quantile"
        )


def transform(record: dict[str, Any], X: np.ndarray, dtype: DTypeLike = np.float32) -> np.ndarray:
    """``X`` (2-d) scaled by a fitted ``record`` (image/none: unchanged)."""
    kind = record["kind"]
    if kind == "quantile":
        return quantile_normal(X, record["quantiles"], record["references"]).astype(dtype)
    if kind in ("standard", "minmax"):
        return affine(X, record).astype(dtype)
    return X


def scale_splits(
    X_train: np.ndarray,
    *others: np.ndarray,
    kind: str = "auto",
    dataset: str = "data",
    columns: Sequence[str] | None = None,
) -> tuple[list[np.ndarray], float, Scaling]:
    """Fit ``kind`` on ``X_train`` and apply it to every split.

    Returns ``([X_train, *others], data_scale, scaling)``: ``data_scale`` is ``Data.scale``
    (the image kind's global factor, else 1); ``scaling`` is ``Data.scaling``. ``image``
    and ``none`` keep each array's shape (and uint8); the others give float32 rows.
    Statistics that are not finite numbers, or unscaled values beyond float32, are a
    one-line :class:`DataError` naming the column (``columns``: the feature names, made
    printable by the caller).
    """
    kind = resolve(check_kind(kind, dataset), X_train)
    if kind in ("image", "none"):
        for X in (X_train, *others):
            _beyond_float32(np.asarray(X), dataset, columns)
        keep = np.asarray(X_train).dtype == np.uint8
        out = [np.asarray(X) if keep else np.asarray(X, np.float32) for X in (X_train, *others)]
        peak = float(np.max(X_train)) if np.size(X_train) else 0.0
        return out, (1.0 / peak if kind == "image" and peak > 0 else 1.0), Scaling(kind)
    width = int(np.prod(X_train.shape[1:]))
    splits = [np.asarray(X).reshape(len(X), width) for X in (X_train, *others)]
    record = fit(kind, splits[0], dataset, columns)
    scaling = Scaling(kind, **{k: v for k, v in record.items() if k != "kind"})
    return [transform(record, X) for X in splits], 1.0, scaling
