"""What a model computes is checked before anyone sees it.

A model file may hold numbers no training run would leave -- negative BatchNorm
variances, an input scale of 1e308, weights of 3e38 -- whose predictions overflow to inf
or NaN. Those are refused at load where a rule can tell (:func:`state_problem`, the input
scale against the model's dtype in :mod:`nnplug.files.header`); otherwise predictions are
computed with NumPy's floating-point warnings off and checked by :func:`finite`: a
non-finite output is one line naming the input row, never a NaN probability written nor a
page of ``RuntimeWarning`` lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from nnplug.files.container import ModelFileError


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """NumPy's overflow and invalid-value warnings off: :func:`finite` judges the result."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        yield


def finite(values: np.ndarray, what: str = "the model") -> np.ndarray:
    """``values`` (one row per input row) when all are finite, else a one-line error."""
    values = np.asarray(values)
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        rows = values.reshape(len(values), -1)
        row = int(np.flatnonzero(~np.isfinite(rows).all(axis=1))[0]) + 1
        raise ModelFileError(
            f"{what} computes a value that is not a finite number (NaN or inf) for input "
            f"row {row}: its weights or statistics are damaged, or the input is far outside "
            f"what it was trained on"
        )
    return values


def state_problem(records: list[dict[str, Any]], arrays: dict[str, Any]) -> str | None:
    """What is wrong with the state of the core layers a model file describes (a BatchNorm
    running variance below 0: its square root is NaN), or None."""
    for i, rec in enumerate(records):
        if rec.get("name") == "batchnorm" and rec.get("plugin") in (None, "core"):
            var = arrays.get(f"state/{i}.running_var")
            if var is not None and np.asarray(var).dtype.kind == "f" and (var < 0).any():
                return f"layer {i + 1} (batchnorm) has a negative running variance"
    return None


__all__ = ["finite", "quiet", "state_problem"]
