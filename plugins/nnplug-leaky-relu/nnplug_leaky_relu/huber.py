"""The ``huber`` loss."""

import numpy as np

from nnplug.base import Loss


class Huber(Loss):
    """Huber loss, mean over all outputs: r^2/2 if |r| <= delta else delta (|r| - delta/2)."""

    name = "huber"
    task = "regression"
    positional = "delta"

    def __init__(self, delta: float = 1.0):
        super().__init__()
        if not delta > 0:
            raise ValueError(f"delta must be > 0, got {delta!r}")
        self.delta = float(delta)

    def options(self):
        return {"delta": self.delta}

    def forward(self, outputs, targets):
        r = outputs - np.asarray(targets, dtype=outputs.dtype).reshape(outputs.shape)
        d = outputs.dtype.type(self.delta)
        small = np.abs(r) <= d
        loss = np.where(small, 0.5 * r * r, d * (np.abs(r) - 0.5 * d))
        # d(loss)/d(outputs): r inside the quadratic zone, delta * sign(r) outside; / size
        self._grad = np.where(small, r, d * np.sign(r)) / outputs.dtype.type(r.size)
        return float(loss.mean())

    def backward(self):
        return self._grad
