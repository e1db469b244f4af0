"""Naming the likely cause when the loss becomes NaN or infinite."""

from __future__ import annotations

import numpy as np

from nnplug.errors import TrainingDiverged


def divergence_cause(
    xb: np.ndarray, yb: np.ndarray, *, classification: bool, targets_scaled: bool, lr: float
) -> str:
    """The likely cause of a non-finite loss on the batch ``xb``/``yb``, for the user:
    large unstandardised regression targets, large inputs, else the learning rate."""
    rate = f"the learning rate (now {lr:g})"
    finite = np.abs(xb[np.isfinite(xb)])
    big_x = float(finite.max(initial=0.0))
    y = None if classification else np.abs(np.asarray(yb, np.float64))
    if y is not None and not targets_scaled and float(y.max(initial=0.0)) > 1e3:
        return (
            f"the regression targets are large (up to {float(y.max()):.3g}) and not "
            f"standardised: let nnplug standardise them (drop --no-scale-target) or "
            f"rescale them; else lower {rate}"
        )
    if big_x > 1e3:
        return (
            f"the inputs reach {big_x:.3g}: scale them (--scale standard or quantile); "
            f"else lower {rate}"
        )
    return f"try a lower learning rate: {rate} is likely too high"


def diverged(value: float, epoch: int, step: int, cause: str) -> TrainingDiverged:
    """The error for a non-finite loss at ``step`` (1-based) of ``epoch``."""
    return TrainingDiverged(f"loss became {value} at epoch {epoch}, step {step}; {cause}")


__all__ = ["diverged", "divergence_cause"]
