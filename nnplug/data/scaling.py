"""Apply a fitted input scaling kept as plain arrays (what model files store; no pickle).

Two forms, fitted on a training split by the dataset plugins (``nnplug.data.fitting``)
and applied by them to every split, and by :class:`nnplug.files.model.Model` to raw inputs:

* **affine** (``standard``, ``minmax``): ``z = (x - mean) / std``, then clipped to the
  training split's range of ``z`` (``min``/``max``) when given;
* **quantile**: each feature through its training quantiles to a standard normal -- the
  transform of scikit-learn's ``QuantileTransformer(output_distribution="normal")``, here
  on the stored ``quantiles`` (n_quantiles x features) and ``references`` (n_quantiles
  probabilities), so predicting needs neither scikit-learn's object nor pickle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: scikit-learn's BOUNDS_THRESHOLD: inputs this close to the end quantiles map to the bounds
BOUNDS = 1e-7


def affine(X: np.ndarray, stats: dict[str, Any]) -> np.ndarray:
    """``(X - mean) / std``, clipped to ``[min, max]`` when the record has them (float64)."""
    with np.errstate(over="ignore"):  # a far-out value becomes +-inf, then the clip's end
        z: np.ndarray = (np.asarray(X, np.float64) - np.asarray(stats["mean"])) / np.asarray(
            stats["std"]
        )
    if stats.get("min") is not None:
        z = np.clip(z, np.asarray(stats["min"]), np.asarray(stats["max"]))
    return z


def quantile_normal(X: np.ndarray, quantiles: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Each column of ``X`` through its quantiles to N(0, 1), clipped at about +-5.2.

    Interpolation runs upwards and downwards and is averaged (a value repeated over many
    quantiles lands in the middle of them), as scikit-learn does.
    """
    from scipy.special import ndtri

    X = np.asarray(X, np.float64)
    out = np.empty_like(X)
    rev = -references[::-1]
    for j in range(X.shape[1]):
        q, x = quantiles[:, j], X[:, j]
        u = 0.5 * (np.interp(x, q, references) - np.interp(-x, -q[::-1], rev))
        u[x + BOUNDS > q[-1]] = 1.0
        u[x - BOUNDS < q[0]] = 0.0
        out[:, j] = u
    lo = ndtri(BOUNDS - np.spacing(1))
    with np.errstate(divide="ignore"):
        normal: np.ndarray = np.clip(ndtri(out), lo, -lo)
    return normal


def check_quantiles(quantiles: Any, references: Any, width: int) -> str | None:
    """What is wrong with a stored quantile scaling, or ``None``."""
    q, r = np.asarray(quantiles), np.asarray(references)
    if q.ndim != 2 or q.shape[1] != width or q.shape[0] < 2 or r.shape != (q.shape[0],):
        return (
            f"quantiles {q.shape} and references {r.shape} do not fit {width} features "
            f"(n_quantiles x features, n_quantiles)"
        )
    if q.dtype.kind != "f" or r.dtype.kind != "f":
        return "quantiles and references must be float arrays"
    if not (np.isfinite(q).all() and np.isfinite(r).all()):
        return "quantiles and references must be finite"
    if np.any(np.diff(q, axis=0) < 0) or np.any(np.diff(r) <= 0) or r[0] < 0 or r[-1] > 1:
        return "quantiles must be sorted and references increasing within [0, 1]"
    return None
