"""Seeded, stratified train/val/test splitting shared by the dataset plugins."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike


def stratified_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    test_fraction: float,
    val_fraction: float,
    seed: int,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split into ``(X_tr, y_tr, X_val, y_val, X_te, y_te)``.

    ``test_fraction`` of all rows go to test (seed ``seed``); ``val_fraction`` of the
    remaining training rows go to validation (seed ``seed + 1``): the same holdouts as the
    csv/npz datasets (:func:`holdout`). Classification splits are stratified.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    rest, test = holdout(y, test_fraction, seed, stratify)
    keep, val = holdout(y[rest], val_fraction, seed + 1, stratify)
    train, val = rest[keep], rest[val]
    return X[train], y[train], X[val], y[val], X[test], y[test]


def holdout(
    y: np.ndarray, fraction: float, seed: int, stratify: bool
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`stratified_holdout` of the labels ``y``, or :func:`random_holdout` of its rows."""
    return (
        stratified_holdout(y, fraction, seed)
        if stratify
        else random_holdout(len(y), fraction, seed)
    )


def stratified_holdout(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split of ``range(len(y))`` into sorted ``(keep, held_out)`` indices.

    Each class gives ``floor(fraction * n_class)`` rows; the rest of the
    ``round(fraction * n)`` held-out rows are drawn at random from what is left.
    """
    if not 0 <= fraction < 1:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    held = [np.zeros(0, np.int64)]
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        held.append(rng.permutation(rows)[: int(fraction * len(rows))])
    mask = np.zeros(len(y), bool)
    mask[np.concatenate(held)] = True
    short = round(fraction * len(y)) - int(mask.sum())
    if short > 0:
        mask[rng.choice(np.flatnonzero(~mask), short, replace=False)] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def random_holdout(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``range(n)`` into sorted ``(keep, held_out)`` indices."""
    if not 0 <= fraction < 1:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    perm = np.random.default_rng(seed).permutation(n)
    k = round(fraction * n)
    return np.sort(perm[k:]), np.sort(perm[:k])


def standardize(
    X_train: np.ndarray, *others: np.ndarray, dtype: DTypeLike = np.float32
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """z = (x - mean_train) / std_train: statistics from ``X_train`` only, applied to all;
    the other splits are then clipped to the training range of z (see
    :mod:`nnplug.data.fitting`, which this is the ``standard`` kind of).
    Returns ``([X_train_z, *others_z], {"mean", "std", "min", "max"})``; constant
    columns get std 1.
    """
    from nnplug.data.fitting import fit, transform

    record = fit("standard", X_train)
    out = [transform(record, np.asarray(X), dtype) for X in (X_train, *others)]
    return out, {k: record[k].tolist() for k in ("mean", "std", "min", "max")}
