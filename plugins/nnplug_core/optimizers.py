"""Built-in optimizers: sgd, momentum, nesterov, adam, adamw. Weight decay acts on
weights only (not biases or BatchNorm parameters)."""

from __future__ import annotations

from typing import ClassVar

from nnplug.base import Optimizer
from nnplug.kernels import OptimizerKernels

_KERNELS = "nnplug_core.kernels.optimizers"


class SGD(Optimizer):
    """Plain SGD: p -= lr (g + wd p)."""

    name = "sgd"
    default_lr: ClassVar[dict[str, float]] = {"classification": 0.05, "regression": 0.01}
    kernels = OptimizerKernels(_KERNELS, update="sgd")

    def update(self, p, state):
        self.ops.sgd_update(p.value, p.grad, self.lr, self.wd(p))


class Momentum(Optimizer):
    """Heavy-ball momentum: v = mu v + (g + wd p); p -= lr v."""

    name = "momentum"
    nesterov = False
    # regression inputs (e.g. California's standardised features) have long tails: 0.05
    # diverges; classification: 0.1 chosen on validation data (docs/defaults.md)
    default_lr: ClassVar[dict[str, float]] = {"classification": 0.1, "regression": 0.01}
    kernels = OptimizerKernels(_KERNELS, slots=("v",), update="momentum")

    def __init__(self, lr: float = 0.01, weight_decay: float = 0.0, momentum: float = 0.9):
        super().__init__(lr=lr, weight_decay=weight_decay)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def kernel_scalars(self):
        return (self.momentum, float(self.nesterov))

    def update(self, p, state):
        self.ops.momentum_update(
            p.value, p.grad, state["v"], self.lr, self.momentum, self.wd(p), self.nesterov
        )


class Nesterov(Momentum):
    """Nesterov momentum: v = mu v + (g + wd p); p -= lr (g + wd p + mu v)."""

    name = "nesterov"
    nesterov = True


class Adam(Optimizer):
    """Adam (Kingma & Ba), bias-corrected, epsilon placed as PyTorch and Keras do:
    p -= lr m_hat / (sqrt(v_hat) + eps); weight decay as L2 added to the gradient."""

    name = "adam"
    decoupled = False
    kernels = OptimizerKernels(_KERNELS, slots=("m", "v"), update="adam")

    def __init__(
        self,
        lr: float = 0.001,
        weight_decay: float = 0.0,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ):
        super().__init__(lr=lr, weight_decay=weight_decay)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError("beta1 and beta2 must be in [0, 1)")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def options(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def kernel_scalars(self):
        return (self.beta1, self.beta2, self.eps, float(self.decoupled))

    def update(self, p, state):
        self.ops.adam_update(
            p.value,
            p.grad,
            state["m"],
            state["v"],
            self.lr,
            self.beta1,
            self.beta2,
            self.eps,
            self.steps,
            self.wd(p),
            self.decoupled,
        )


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter): decoupled weight decay p *= 1 - lr wd, then Adam's step
    on g alone (PyTorch's order and formula)."""

    name = "adamw"
    decoupled = True
    # chosen on validation data (docs/defaults.md)
    default_lr: ClassVar[dict[str, float]] = {"classification": 1e-3, "regression": 5e-3}
    default_weight_decay: ClassVar[dict[str, float]] = {"classification": 0.01, "regression": 0.1}

    def __init__(
        self,
        lr: float = 0.001,
        weight_decay: float = 0.01,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ):
        super().__init__(lr=lr, weight_decay=weight_decay, beta1=beta1, beta2=beta2, eps=eps)
