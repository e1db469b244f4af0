"""Seeded, stratified train/val/test splitting shared by the dataset plugins."""
from __future__ import annotations

import numpy as np


def stratified_split(X, y, *, test_fraction: float, val_fraction: float, seed: int,
                     stratify: bool = True):
    """Split into ``(X_tr, y_tr, X_val, y_val, X_te, y_te)``.

    ``test_fraction`` of all rows go to test; ``val_fraction`` of the remaining
    training rows go to validation. Classification splits are stratified.
    """
    from sklearn.model_selection import train_test_split

    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    strat = y if stratify else None
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_fraction,
                                              random_state=seed, stratify=strat)
    if val_fraction == 0:
        return X_tr, y_tr, X_tr[:0], y_tr[:0], X_te, y_te
    X_tr, X_va, y_tr, y_va = train_test_split(X_tr, y_tr, test_size=val_fraction,
                                              random_state=seed,
                                              stratify=y_tr if stratify else None)
    return X_tr, y_tr, X_va, y_va, X_te, y_te
