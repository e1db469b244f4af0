"""Built-in layers: linear, relu, sigmoid, tanh, batchnorm, dropout."""
from __future__ import annotations

import numpy as np

from nnplug.base import Layer
from nnplug.backend import Workspace, ops

ACTIVATIONS = ("relu", "sigmoid", "tanh")


def init_weights(rng: np.random.Generator, fan_in: int, fan_out: int, scheme: str | None,
                 dtype) -> np.ndarray:
    """He (``std = sqrt(2/fan_in)``) before ReLU-like units, else Xavier/Glorot
    (``std = sqrt(2/(fan_in+fan_out))``)."""
    if scheme == "he":
        std = np.sqrt(2.0 / fan_in)
    else:
        std = np.sqrt(2.0 / (fan_in + fan_out))
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)


class FusingLayer(Layer):
    """A layer that can absorb the activation after it (``Sequential`` asks ``fuses``).

    ``forward_act(x, act)`` returns ``act(self(x))`` and leaves ``act`` in the state
    its own ``forward`` would (``act._y``); ``backward_act(dy, act, need_dx=True)`` is
    the matching backward (``act`` may be None; ``need_dx=False`` may return None).
    In training mode results live in reused workspaces (valid until the next step).
    """

    def __init__(self, **options):
        super().__init__(**options)
        self._work = Workspace()

    def fuses(self, nxt: Layer) -> bool:
        """True if ``nxt`` is a plain built-in activation this layer can apply itself."""
        t = type(nxt)
        return (isinstance(nxt, Activation) and nxt.kind in ACTIVATIONS
                and t.forward is Activation.forward and t.backward is Activation.backward)

    def _scratch(self, name: str, shape, dtype):
        return self._work.get(name, shape, dtype) if self.training else None

    def forward(self, x):
        return self.forward_act(x, None)

    def backward(self, dy):
        return self.backward_act(dy, None)


class Linear(FusingLayer):
    """Fully connected: y = x W + b (width ``units``, e.g. ``linear:512``)."""

    name = "linear"
    positional = "units"

    def __init__(self, units: int | None = None, bias: bool = True):
        super().__init__()
        if units is not None and (not isinstance(units, int) or isinstance(units, bool)
                                  or units < 1):
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
        self.init = init
        self.params["W"] = init_weights(rng, self.in_features, self.units, init, dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if self.bias:
            self.params["b"] = np.zeros(self.units, dtype=dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])
        return self.units

    def forward_act(self, x, act):
        W = self.params["W"]
        self._x = x
        out = self._scratch("y", (x.shape[0], self.units), np.result_type(x, W))
        self._y = ops.linear_act_forward(x, W, self.params.get("b"),
                                         act.kind if act else None, out=out)
        if act is not None:
            act._y = self._y
        return self._y

    def backward_act(self, dy, act, need_dx=True):
        kind = act.kind if act else None
        W = self.params["W"]
        return ops.linear_act_backward(
            self._x, W, self._y, dy, self.grads["W"], self.grads.get("b"), kind,
            need_dx=need_dx, dz=self._scratch("dz", dy.shape, dy.dtype) if kind else None,
            dx=self._scratch("dx", (dy.shape[0], W.shape[0]), dy.dtype) if need_dx else None)


class Activation(Layer):
    """Element-wise activation computed by the backend op ``act_forward(kind, x)``."""

    kind = ""

    def forward(self, x):
        self._y = ops.act_forward(self.kind, x)
        return self._y

    def backward(self, dy):
        return ops.act_backward(self.kind, self._y, dy)


class ReLU(Activation):
    """Rectified linear unit: y = max(x, 0)."""

    name = kind = "relu"
    init_scheme = "he"


class Sigmoid(Activation):
    """Logistic sigmoid: y = 1 / (1 + exp(-x))."""

    name = kind = "sigmoid"
    init_scheme = "xavier"


class Tanh(Activation):
    """Hyperbolic tangent: y = tanh(x)."""

    name = kind = "tanh"
    init_scheme = "xavier"


class BatchNorm(FusingLayer):
    """Batch normalisation: y = gamma (x - mean_B) / sqrt(var_B + eps) + beta; running
    statistics (``momentum``) are used in eval mode."""

    name = "batchnorm"
    transparent_for_init = True

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        if not 0 < momentum <= 1:
            raise ValueError(f"momentum must be in (0, 1], got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")
        self.momentum, self.eps = float(momentum), float(eps)

    def options(self):
        return {"momentum": self.momentum, "eps": self.eps}

    def build(self, in_features, *, rng, dtype=np.float32, init=None):
        n = self.in_features = self.out_features = int(in_features)
        self.params = {"gamma": np.ones(n, dtype), "beta": np.zeros(n, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {"running_mean": np.zeros(n, dtype), "running_var": np.ones(n, dtype)}
        return n

    def forward_act(self, x, act):
        p, kind = self.params, (act.kind if act else None)
        if not self.training:
            self._x = x  # for the eval-mode backward
            y = ops.batchnorm_act_forward_eval(x, p["gamma"], p["beta"],
                                               self.buffers["running_mean"],
                                               self.buffers["running_var"], self.eps, kind)
        else:
            y = self._forward_train(x, kind)
        self._y = y
        if act is not None:
            act._y = y
        return y

    def _forward_train(self, x, kind):
        p = self.params
        if x.shape[0] < 2:
            raise ValueError("batchnorm needs at least 2 samples per batch in training mode")
        y, self._xhat, self._inv_std, mean, var = ops.batchnorm_act_forward_train(
            x, p["gamma"], p["beta"], self.eps, kind, y=self._scratch("y", x.shape, x.dtype),
            xhat=self._scratch("xhat", x.shape, x.dtype))
        n, m = x.shape[0], self.momentum
        rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
        rm *= 1 - m
        rm += m * mean
        rv *= 1 - m
        rv += (m * n / (n - 1)) * var  # unbiased estimate, as PyTorch does
        return y

    def backward_act(self, dy, act, need_dx=True):  # noqa: ARG002 - dx is the cheap part
        if not self.training:
            return self._backward_eval(dy, act)
        return ops.batchnorm_act_backward(
            dy, self._y, self._xhat, self._inv_std, self.params["gamma"],
            self.grads["gamma"], self.grads["beta"], act.kind if act else None,
            dx=self._scratch("dx", dy.shape, dy.dtype))


    def _backward_eval(self, dy, act):
        """Eval mode normalises with the running statistics, constants here:
        dx = g gamma / sqrt(running_var + eps), dgamma = sum g xhat, dbeta = sum g,
        with g = dy act'(y) and xhat = (x - running_mean) / sqrt(running_var + eps)."""
        g = ops.act_backward(act.kind, self._y, dy) if act is not None else dy
        inv_std = (1.0 / np.sqrt(self.buffers["running_var"] + self.eps)).astype(dy.dtype)
        xhat = (self._x - self.buffers["running_mean"]) * inv_std
        g.sum(axis=0, out=self.grads["beta"])
        np.einsum("ij,ij->j", g, xhat, out=self.grads["gamma"])
        return g * (self.params["gamma"] * inv_std)


class Dropout(Layer):
    """Inverted dropout: zero each unit with probability ``p`` and scale the rest by
    1/(1-p) in training; identity in eval mode."""

    name = "dropout"
    positional = "p"
    transparent_for_init = True

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        self.p = float(p)

    def options(self):
        return {"p": self.p}

    def build(self, in_features, *, rng, dtype=np.float32, init=None):
        self.rng = rng
        return super().build(in_features, rng=rng, dtype=dtype, init=init)

    def forward(self, x):
        if not self.training or self.p == 0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.p
        self._mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.p))
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask
