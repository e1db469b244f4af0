"""The metrics every part reports: accuracy of class scores, RMSE of values.

Training, model files, the estimators and the benchmarks all score with these two, so a
figure means the same wherever it is printed.
"""

from __future__ import annotations

import numpy as np


def accuracy(outputs: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(outputs.argmax(axis=1) == y)) if len(y) else float("nan")


def rmse(outputs: np.ndarray, y: np.ndarray) -> float:
    if not len(y):  # no rows (e.g. no test split): no metric, and no reshape of nothing
        return float("nan")
    diff = outputs.reshape(len(y), -1).astype(np.float64) - np.reshape(y, (len(y), -1))
    return float(np.sqrt(np.mean(diff * diff)))


__all__ = ["accuracy", "rmse"]
