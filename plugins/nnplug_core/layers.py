"""Built-in layers: linear, relu, sigmoid, tanh, batchnorm, dropout.

Each computes through ``self.ops`` (the model's backend) and declares its compiled
kernels (``plugins/nnplug_core/kernels/``) -- the template for a plugin's layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from nnplug.base import Layer, Workspace
from nnplug.kernels import ACTIVATION_CODES, LayerKernels


def init_weights(
    rng: np.random.Generator, fan_in: int, fan_out: int, scheme: str | None, dtype: DTypeLike
) -> np.ndarray:
    """He (``std = sqrt(2/fan_in)``) before ReLU-like units, else Xavier/Glorot
    (``std = sqrt(2/(fan_in+fan_out))``)."""
    std = np.sqrt(2.0 / fan_in) if scheme == "he" else np.sqrt(2.0 / (fan_in + fan_out))
    weights: np.ndarray = (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)
    return weights


class FusingLayer(Layer):
    """A layer that applies a following built-in activation itself (``forward_fused``).

    In training mode results live in reused workspaces (valid until the next step).
    """

    fuses_activation = True

    def __init__(self, **options):
        super().__init__(**options)
        self._work = Workspace()

    def _scratch(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray | None:
        return self._work.get(name, shape, dtype) if self.training else None

    def forward(self, x):
        return self.forward_fused(x, None)

    def backward(self, dy):
        return self.backward_fused(dy, None)


class Linear(FusingLayer):
    """Fully connected: y = x W + b (width ``units``, e.g. ``linear:512``)."""

    name = "linear"
    positional = "units"
    kernels = LayerKernels("nnplug_core.kernels.linear", params=("W", "b"))

    def __init__(self, units: int | None = None, bias: bool = True):
        super().__init__()
        if units is not None and (
            not isinstance(units, int) or isinstance(units, bool) or units < 1
        ):
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = units
        self.bias = bool(bias)
        self.decay = {"W"}

    def options(self):
        return {"units": self.units, "bias": self.bias}

    def build(self, in_features, *, rng, dtype=np.float32, init=None):
        if self.units is None:
            raise ValueError("linear needs a width: write linear:N")
        self.in_features, self.out_features = int(in_features), self.units
        self.init = init  # the scheme chosen ("he"/"xavier"), for inspection
        self.params["W"] = init_weights(rng, self.in_features, self.units, init, dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if self.bias:
            self.params["b"] = np.zeros(self.units, dtype=dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])
        return self.units

    def forward_fused(self, x, act):
        W = self.params["W"]
        self._x = x
        assert self.units is not None  # build() refused a linear without a width
        out = self._scratch("y", (x.shape[0], self.units), np.result_type(x, W))
        self._y = self.ops.linear_forward(x, W, self.params.get("b"), act, out=out)
        return self._y

    def backward_fused(self, dy, act, need_dx=True):
        W = self.params["W"]
        return self.ops.linear_backward(
            self._x,
            W,
            self._y,
            dy,
            self.grads["W"],
            self.grads.get("b"),
            act,
            need_dx=need_dx,
            dz=self._scratch("dz", dy.shape, dy.dtype) if act else None,
            dx=self._scratch("dx", (dy.shape[0], W.shape[0]), dy.dtype) if need_dx else None,
        )


class Activation(Layer):
    """Element-wise built-in activation computed by ``ops.activation_forward``."""

    kernels = LayerKernels("nnplug_core.kernels.activation")

    def forward(self, x):
        self._y = self.ops.activation_forward(self.activation_kind, x)
        return self._y

    def backward(self, dy):
        return self.ops.activation_backward(self.activation_kind, self._y, dy)

    def kernel_scalars(self):
        return (float(ACTIVATION_CODES[self.activation_kind]),)


class ReLU(Activation):
    """Rectified linear unit: y = max(x, 0)."""

    name = activation_kind = "relu"
    init_scheme = "he"


class Sigmoid(Activation):
    """Logistic sigmoid: y = 1 / (1 + exp(-x))."""

    name = activation_kind = "sigmoid"
    init_scheme = "xavier"


class Tanh(Activation):
    """Hyperbolic tangent: y = tanh(x)."""

    name = activation_kind = "tanh"
    init_scheme = "xavier"


class BatchNorm(FusingLayer):
    """Batch normalisation: y = gamma (x - mean_B) / sqrt(var_B + eps) + beta; running
    statistics (``momentum``) are used in eval mode."""

    name = "batchnorm"
    transparent_for_init = True
    kernels = LayerKernels(
        "nnplug_core.kernels.batchnorm",
        params=("gamma", "beta"),
        state=("running_mean", "running_var"),
        work=("xhat", "inv_std"),
    )

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        if not 0 < momentum <= 1:
            raise ValueError(f"momentum must be in (0, 1], got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")
        self.momentum, self.eps = float(momentum), float(eps)

    def options(self):
        return {"momentum": self.momentum, "eps": self.eps}

    def kernel_scalars(self):
        return (self.momentum, self.eps)

    def kernel_work(self):
        return {"xhat": (-1, self.out_features), "inv_std": (self.out_features,)}

    def build(self, in_features, *, rng, dtype=np.float32, init=None):
        n = self.in_features = self.out_features = int(in_features)
        self.params = {"gamma": np.ones(n, dtype), "beta": np.zeros(n, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {"running_mean": np.zeros(n, dtype), "running_var": np.ones(n, dtype)}
        return n

    def forward_fused(self, x, act):
        p, b = self.params, self.buffers
        self._x, self._training_forward = x, self.training
        if not self.training:
            self._y = self.ops.batchnorm_forward_eval(
                x, p["gamma"], p["beta"], b["running_mean"], b["running_var"], self.eps, act
            )
            return self._y
        if x.shape[0] < 2:
            raise ValueError("batchnorm needs at least 2 samples per batch in training mode")
        self._y, self._xhat, self._inv_std, mean, var = self.ops.batchnorm_forward_train(
            x,
            p["gamma"],
            p["beta"],
            self.eps,
            act,
            y=self._scratch("y", x.shape, x.dtype),
            xhat=self._scratch("xhat", x.shape, x.dtype),
        )
        n, m = x.shape[0], self.momentum
        rm, rv = b["running_mean"], b["running_var"]
        rm *= 1 - m
        rm += m * mean
        rv *= 1 - m
        rv += (m * n / (n - 1)) * var  # unbiased estimate, as PyTorch does
        return self._y

    def backward_fused(self, dy, act, need_dx=True):
        p, g = self.params, self.grads
        if not self._training_forward:  # eval mode: the statistics are constants
            b = self.buffers
            return self.ops.batchnorm_backward_eval(
                dy,
                self._y,
                self._x,
                p["gamma"],
                b["running_mean"],
                b["running_var"],
                self.eps,
                g["gamma"],
                g["beta"],
                act,
            )
        return self.ops.batchnorm_backward(
            dy,
            self._y,
            self._xhat,
            self._inv_std,
            p["gamma"],
            g["gamma"],
            g["beta"],
            act,
            dx=self._scratch("dx", dy.shape, dy.dtype),
        )


class Dropout(Layer):
    """Inverted dropout: zero each unit with probability ``p`` and scale the rest by
    1/(1-p) in training; identity in eval mode. Masks come from a counter-based hash of
    (seed, training step, unit): the same on every backend, nothing to checkpoint."""

    name = "dropout"
    positional = "p"
    transparent_for_init = True
    kernels = LayerKernels("nnplug_core.kernels.dropout", work=("mask",))

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.seed = 0
        self._work = Workspace()

    def options(self):
        return {"p": self.p}

    def kernel_scalars(self):
        return (self.p, float(self.seed))

    def kernel_work(self):
        return {"mask": (-1, self.out_features)}

    def build(self, in_features, *, rng, dtype=np.float32, init=None):
        self.seed = int(rng.integers(2**32))
        return super().build(in_features, rng=rng, dtype=dtype, init=init)

    def forward(self, x):
        if not self.training or self.p == 0:
            self._mask = None
            return x
        self._mask = self.ops.dropout_mask(
            x.shape,
            self.p,
            self.seed,
            self.step,
            x.dtype,
            out=self._work.get("mask", x.shape, x.dtype),
        )
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask
