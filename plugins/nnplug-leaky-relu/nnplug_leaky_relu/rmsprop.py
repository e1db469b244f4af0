"""The ``rmsprop`` optimizer."""

import numpy as np

from nnplug.base import Optimizer
from nnplug.kernels import OptimizerKernels


class RMSprop(Optimizer):
    """RMSprop: v = rho v + (1 - rho) g^2; p -= lr g / (sqrt(v) + eps)."""

    name = "rmsprop"
    # compiled update (numba backend), its per-parameter state slot "v" as in ``update``
    kernels = OptimizerKernels("nnplug_leaky_relu.kernels", slots=("v",), update="rmsprop_update")

    def __init__(
        self, lr: float = 0.001, weight_decay: float = 0.0, rho: float = 0.9, eps: float = 1e-8
    ):
        super().__init__(lr=lr, weight_decay=weight_decay)
        if not 0 <= rho < 1:
            raise ValueError(f"rho must be in [0, 1), got {rho!r}")
        self.rho, self.eps = float(rho), float(eps)

    def options(self):
        return {"lr": self.lr, "weight_decay": self.weight_decay, "rho": self.rho, "eps": self.eps}

    def kernel_scalars(self):
        return (self.rho, self.eps)

    def update(self, p, state):
        g = p.grad + self.wd(p) * p.value if self.wd(p) else p.grad
        v = state.setdefault("v", np.zeros_like(p.value))
        v *= self.rho
        v += (1 - self.rho) * g * g
        p.value -= self.lr * g / (np.sqrt(v) + self.eps)  # in place: the layer sees it
