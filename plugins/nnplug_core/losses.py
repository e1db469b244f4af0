"""Built-in losses: softmax_ce (classification) and mse (regression)."""

from __future__ import annotations

import numpy as np

from nnplug.base import Loss
from nnplug.kernels import LossKernels


class SoftmaxCE(Loss):
    """Softmax cross-entropy, mean over the batch (log-sum-exp, no epsilon)."""

    name = "softmax_ce"
    task = "classification"
    kernels = LossKernels("nnplug_core.kernels.losses", forward="softmax_ce")

    def forward(self, outputs, targets):
        self._loss, self._grad = self.ops.softmax_cross_entropy(
            outputs, np.asarray(targets, dtype=np.intp)
        )
        return self._loss

    def backward(self):
        return self._grad

    def predict(self, outputs):
        return self.ops.softmax(outputs)


class MSE(Loss):
    """Mean squared error over all outputs: mean((y - t)^2)."""

    name = "mse"
    task = "regression"
    kernels = LossKernels("nnplug_core.kernels.losses", forward="mse")

    def forward(self, outputs, targets):
        self._loss, self._grad = self.ops.mse(outputs, np.asarray(targets, dtype=outputs.dtype))
        return self._loss

    def backward(self):
        return self._grad
