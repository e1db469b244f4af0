"""Built-in losses: softmax_ce (classification) and mse (regression)."""
from __future__ import annotations

import numpy as np

from nnplug.backend import ops
from nnplug.base import Loss


class SoftmaxCE(Loss):
    """Softmax cross-entropy, mean over the batch (log-sum-exp, no epsilon)."""

    name = "softmax_ce"
    task = "classification"

    def forward(self, outputs, targets):
        self._loss, self._grad = ops.softmax_ce(outputs, np.asarray(targets, dtype=np.intp))
        return self._loss

    def backward(self):
        return self._grad

    def predict(self, outputs):
        return ops.softmax(outputs)


class MSE(Loss):
    """Mean squared error over all outputs: mean((y - t)^2)."""

    name = "mse"
    task = "regression"

    def forward(self, outputs, targets):
        self._loss, self._grad = ops.mse(outputs, np.asarray(targets, dtype=outputs.dtype))
        return self._loss

    def backward(self):
        return self._grad
