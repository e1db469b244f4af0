"""Built-in optimizers: sgd, momentum, nesterov, adam, adamw. Weight decay (L2, or decoupled
for adamw) applies to weights only."""
from __future__ import annotations

import numpy as np

from nnplug.backend import ops
from nnplug.base import Optimizer


class SGD(Optimizer):
    """Plain SGD: p -= lr * (g + wd p)."""

    name = "sgd"
    default_lr = {"classification": 0.05, "regression": 0.01}

    def update(self, p, state):
        ops.sgd_step(p.value, p.grad, self.lr, self.wd(p))


class Momentum(Optimizer):
    """Heavy-ball momentum: v = mu v + g; p -= lr v."""

    name = "momentum"
    nesterov = False
    # regression inputs (e.g. California's standardised features) have long tails: 0.05
    # diverges; classification: 0.1 chosen on validation data (README)
    default_lr = {"classification": 0.1, "regression": 0.01}

    def __init__(self, lr=0.01, weight_decay=0.0, momentum: float = 0.9):
        super().__init__(lr=lr, weight_decay=weight_decay)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def update(self, p, state):
        if "v" not in state:
            state["v"] = np.zeros_like(p.value)
        ops.momentum_step(p.value, p.grad, state["v"], self.lr, self.momentum, self.wd(p),
                          self.nesterov)


class Nesterov(Momentum):
    """Nesterov momentum: v = mu v + g; p -= lr (g + mu v)."""

    name = "nesterov"
    nesterov = True


class Adam(Optimizer):
    """Adam (Kingma & Ba): p -= lr m_hat / (sqrt(v_hat) + eps), bias-corrected moments
    (eps placed as in PyTorch and Keras); weight_decay is an L2 term added to g."""

    name = "adam"

    def __init__(self, lr=0.001, weight_decay=0.0, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(lr=lr, weight_decay=weight_decay)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError("beta1 and beta2 must be in [0, 1)")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def update(self, p, state):
        self._adam(p, state, self.wd(p))

    def _adam(self, p, state, l2):
        if "m" not in state:
            state["m"] = np.zeros_like(p.value)
            state["v"] = np.zeros_like(p.value)
        ops.adam_step(p.value, p.grad, state["m"], state["v"], self.lr, self.beta1,
                      self.beta2, self.eps, self.steps, l2)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter): decoupled weight decay p *= 1 - lr wd, then Adam's step
    on g alone (PyTorch's order and formula)."""

    name = "adamw"
    # chosen on validation data (README: "Defaults and their evidence")
    default_lr = {"classification": 1e-3, "regression": 5e-3}
    default_weight_decay = {"classification": 0.01, "regression": 0.1}

    def __init__(self, lr=0.001, weight_decay=0.01, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(lr=lr, weight_decay=weight_decay, beta1=beta1, beta2=beta2, eps=eps)

    def update(self, p, state):
        wd = self.wd(p)
        if wd:  # the decay is not part of the gradient: Adam does not rescale it
            p.value *= p.value.dtype.type(1 - self.lr * wd)
        self._adam(p, state, 0.0)
