"""Regression targets standardised for training: the network learns ``(y - mean) / std``
(the training split's statistics) while every metric, prediction and saved model is in the
target's own units."""

from __future__ import annotations

from typing import Any

import numpy as np


def standardise_targets(data: Any) -> None:
    """Set ``data.target_mean``/``target_std`` from the training targets (std 0 -> 1)."""
    y = np.asarray(data.y_train, np.float64).reshape(len(data.y_train), -1)
    mean, std = y.mean(axis=0), y.std(axis=0)
    data.target_mean, data.target_std = mean, np.where(std > 0, std, 1.0)


class TargetScaling:
    """The standardisation of a fit's regression targets; ``None`` statistics (classification,
    or ``--no-scale-target``) make every method the identity."""

    def __init__(self, mean: Any = None, std: Any = None, dtype: Any = np.float32):
        self.stats = (
            None if std is None else (np.asarray(mean, np.float64), np.asarray(std, np.float64))
        )
        self.dtype = np.dtype(dtype)
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def of(cls, data: Any, classification: bool, dtype: Any) -> TargetScaling:
        """The scaling ``data`` carries (``target_mean``/``target_std``), if regression."""
        std = getattr(data, "target_std", None)
        if std is None or classification:
            return cls(dtype=dtype)
        return cls(data.target_mean, std, dtype)

    @property
    def active(self) -> bool:
        return self.stats is not None

    def unscale(self, outputs: np.ndarray) -> np.ndarray:
        """Network outputs (standardised targets) in the target's units."""
        if self.stats is None:
            return outputs
        mean, std = self.stats
        unscaled: np.ndarray = outputs.astype(np.float64) * std + mean
        return unscaled

    def loss_targets(self, y: np.ndarray) -> np.ndarray:
        """What the loss compares outputs with: standardised targets, or ``y`` itself."""
        if self.stats is None:
            return y
        mean, std = self.stats
        z = (np.asarray(y, np.float64).reshape(len(y), -1) - mean) / std
        targets: np.ndarray = z.astype(self.dtype).reshape(np.shape(y))
        return targets

    def split_targets(self, y: np.ndarray) -> np.ndarray:
        """:meth:`loss_targets` of a whole split, computed once per array (the compiled
        path passes whole splits)."""
        if self.stats is None:
            return y
        cached = self._cache.get(id(y))
        if cached is None or cached[0] is not y:
            cached = self._cache[id(y)] = (y, self.loss_targets(y))
        return cached[1]

    def metric_weights(self) -> np.ndarray | None:
        """Squared target scales: the compiled metric of standardised errors in the
        target's units."""
        return None if self.stats is None else np.square(self.stats[1]).ravel()


__all__ = ["TargetScaling", "standardise_targets"]
