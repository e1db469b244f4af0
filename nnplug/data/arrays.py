"""Training data from arrays in memory, for :func:`nnplug.nn.training.train` (``data=``).

:func:`array_data` does what a dataset plugin does after reading its files: a seeded
validation hold-out (stratified for classification) and the input scaling fitted on the
training rows only -- the dataset plugins' own functions (``nnplug.data.split``,
``nnplug.data.fitting``: the same ``--scale`` kinds, so a model trained from arrays
saves and applies its scaling exactly as ``nnplug train --save`` does). There is no test
split: the caller holds its own test data. :func:`rescaled_data` prepares more data for a
model that already has a scaling (a warm start), with that scaling unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnplug.base import Data
from nnplug.errors import NNPlugError

TASKS = ("classification", "regression")


def _holdout(y: np.ndarray, task: str, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from nnplug.data.split import random_holdout, stratified_holdout

    if task == "classification":
        return stratified_holdout(y, fraction, seed)
    return random_holdout(len(y), fraction, seed)


def _check(X: np.ndarray, y: np.ndarray, task: str) -> None:
    if task not in TASKS:
        raise NNPlugError(f"task must be classification or regression, got {task!r}")
    if X.ndim != 2 or X.shape[1] < 1:
        raise NNPlugError(
            f"X must be rows x features (2-d, at least one feature), has shape {X.shape}"
        )
    if len(y) != len(X):
        raise NNPlugError(f"X has {len(X)} rows but y has {len(y)}")
    if len(X) < 2:
        raise NNPlugError(f"training needs at least 2 samples, got n_samples = {len(X)}")


def array_data(
    X: Any,
    y: Any,
    *,
    task: str,
    seed: int = 42,
    val_fraction: float = 0.1,
    scale: str = "auto",
    classes: list[str] | None = None,
    feature_names: list[str] | None = None,
) -> Data:
    """``X`` (rows x features) and ``y`` -- class indices ``0..k-1`` for classification
    (``classes`` names them), targets ``(n,)`` or ``(n, k)`` for regression -- as
    :class:`~nnplug.base.Data`: ``val_fraction`` of the rows held out by ``seed``, the
    input scaling ``scale`` (``auto``, ``standard``, ``quantile``, ``minmax``, ``none``)
    fitted on the rest. Regression targets are standardised later, by the training run
    (``TrainConfig.scale_target``)."""
    from nnplug.data.fitting import scale_splits

    X, y = np.asarray(X), np.asarray(y)
    _check(X, y, task)
    keep, val = _holdout(y, task, val_fraction, seed)
    (X_train, X_val), factor, scaling = scale_splits(X[keep], X[val], kind=scale, dataset="X")
    return Data(
        X_train,
        y[keep],
        X_val,
        y[val],
        X_train[:0],
        y[:0],
        task=task,
        classes=list(classes) if classes is not None else None,
        scale=factor,
        feature_names=list(feature_names) if feature_names is not None else None,
        scaling=scaling,
    )


def rescaled_data(model: Any, X: Any, y: Any, *, seed: int = 42, val_fraction: float = 0.1) -> Data:
    """Data to train ``model`` (an :class:`nnplug.files.model.Model`) further: ``X`` through the
    model's saved input scaling (as its predictions are), its target statistics kept."""
    y = np.asarray(y)
    X = model.prepare(X)
    _check(X, y, model.task)
    keep, val = _holdout(y, model.task, val_fraction, seed)
    dtype = model.network.dtype
    data = Data(
        X[keep].astype(dtype),
        y[keep],
        X[val].astype(dtype),
        y[val],
        X[:0].astype(dtype),
        y[:0],
        task=model.task,
        classes=model.classes,
        scale=float(model.meta.get("scale", 1.0)),
        feature_names=model.meta.get("feature_names"),
    )
    stats = model.meta.get("target_scaling")
    if stats:
        data.target_mean = np.asarray(stats["mean"], np.float64)
        data.target_std = np.asarray(stats["std"], np.float64)
    return data
