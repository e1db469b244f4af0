"""The compute backend ("ops"): one level of operations, the reference math in NumPy.

Layers, losses and optimizers do their memory-bound math through ``self.ops``, the
:class:`Backend` of the model they belong to (thinc's ``Ops`` pattern). This base class
implements every operation in plain NumPy -- it *is* the reference and the test oracle
-- so a new backend subclasses it and overrides only what it accelerates. Matrix
products stay in BLAS everywhere. Every operation keeps the input dtype and writes into
its arguments only where documented (``out=``/workspace arguments, parameter updates).

``act`` arguments name an element-wise activation applied to an op's output:
``None``, ``"relu"``, ``"sigmoid"`` or ``"tanh"`` (:data:`ACTIVATIONS`).

A backend may also offer a *compiled path* (:meth:`Backend.compile`):
whole training steps as compiled code when every component provides kernels (see
:mod:`nnplug.kernels`). The NumPy reference has none and runs per op.
"""

from __future__ import annotations

import contextvars
from typing import Any, ClassVar

import numpy as np

from nnplug.counter_rng import dropout_key, dropout_threshold, hash32
from nnplug.kernels import NotCompiled

ACTIVATIONS = ("relu", "sigmoid", "tanh")


def _out(out: np.ndarray | None, like: np.ndarray) -> np.ndarray:
    return np.empty_like(like) if out is None else out


class Backend:
    """Every op, in NumPy. Subclasses set ``name`` and override what they accelerate."""

    name: ClassVar[str] = ""

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        """``(True, "")`` if usable here, else ``(False, one-line reason)``."""
        return True, ""

    def __init__(self, **options: Any):
        if options:
            raise TypeError(f"unexpected option(s) {', '.join(sorted(options))}")

    def __repr__(self) -> str:
        return f"<backend {self.name}>"

    # -- element-wise activations ---------------------------------------------------------
    def activation_forward(
        self, kind: str | None, x: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """y = act(x); ``out`` may be ``x`` (in place)."""
        out = _out(out, x)
        if kind is None:
            if out is not x:
                out[...] = x
        elif kind == "relu":
            np.maximum(x, 0, out=out)
        elif kind == "tanh":
            np.tanh(x, out=out)
        elif kind == "sigmoid":  # exp of a non-positive argument only: no overflow
            e = np.exp(-np.abs(x))
            out[...] = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        else:
            raise ValueError(f"unknown activation {kind!r}")
        return out

    def activation_backward(
        self, kind: str | None, y: np.ndarray, dy: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """dx = dy * act'(x), written through the output y = act(x)."""
        if kind is None:
            return dy
        out = _out(out, dy)
        if kind == "relu":
            np.multiply(dy, y > 0, out=out)
        elif kind == "tanh":
            np.multiply(dy, 1 - y * y, out=out)
        elif kind == "sigmoid":
            np.multiply(dy, y, out=out)
            out *= 1 - y
        else:
            raise ValueError(f"unknown activation {kind!r}")
        return out

    # -- dense ------------------------------------------------------------------------------
    def linear_forward(self, x, W, b, act=None, out=None):
        """y = act(x W + b) (``b`` may be None); the GEMM writes into ``out``."""
        y = np.matmul(x, W, out=out)
        if b is not None:
            y += b
        return self.activation_forward(act, y, out=y)

    def linear_backward(self, x, W, y, dy, dW, db, act=None, need_dx=True, dz=None, dx=None):
        """dz = dy act'(y); dW = x^T dz; db = sum(dz) (if given); returns dz W^T or None."""
        dz = self.activation_backward(act, y, dy, out=dz)
        np.matmul(x.T, dz, out=dW)
        if db is not None:
            dz.sum(axis=0, out=db)
        return np.matmul(dz, W.T, out=dx) if need_dx else None

    # -- batch normalisation (over the batch axis) --------------------------------------------
    def batchnorm_forward_train(self, x, gamma, beta, eps, act=None, y=None, xhat=None):
        """Batch statistics: xhat = (x - mean) / sqrt(var + eps), y = act(gamma xhat + beta).

        Returns ``y, xhat, inv_std, mean, var`` (biased variance, two passes)."""
        mean = x.mean(axis=0)
        xhat = np.subtract(x, mean, out=xhat)
        var = np.einsum("ij,ij->j", xhat, xhat) / x.shape[0]
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat *= inv_std
        y = np.multiply(xhat, gamma, out=y)
        y += beta
        return (
            self.activation_forward(act, y, out=y),
            xhat,
            inv_std,
            mean,
            var.astype(x.dtype, copy=False),
        )

    def batchnorm_forward_eval(self, x, gamma, beta, mean, var, eps, act=None, out=None):
        """Running statistics: y = act((x - mean) gamma / sqrt(var + eps) + beta)."""
        scale = (gamma / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        y = np.subtract(x, mean, out=out)
        y *= scale
        y += beta
        return self.activation_forward(act, y, out=y)

    def batchnorm_backward(self, dy, y, xhat, inv_std, gamma, dgamma, dbeta, act=None, dx=None):
        """Training mode, g = dy act'(y): dbeta = sum g, dgamma = sum g xhat,
        dx = gamma inv_std / N (N g - dbeta - xhat dgamma)."""
        g = self.activation_backward(act, y, dy, out=dx)
        n = g.shape[0]
        g.sum(axis=0, out=dbeta)
        np.einsum("ij,ij->j", g, xhat, out=dgamma)
        dx = np.multiply(g, n, out=dx)
        dx -= dbeta
        dx -= xhat * dgamma
        dx *= (gamma * inv_std / n).astype(dy.dtype, copy=False)
        return dx

    def batchnorm_backward_eval(
        self, dy, y, x, gamma, mean, var, eps, dgamma, dbeta, act=None, dx=None
    ):
        """Eval mode (the statistics are constants), g = dy act'(y): dbeta = sum g,
        dgamma = sum g (x - mean) / sqrt(var + eps), dx = g gamma / sqrt(var + eps)."""
        g = self.activation_backward(act, y, dy, out=dx)
        inv_std = (1.0 / np.sqrt(var + eps)).astype(dy.dtype, copy=False)
        g.sum(axis=0, out=dbeta)
        np.einsum("ij,ij->j", g, (x - mean) * inv_std, out=dgamma)
        return np.multiply(g, (gamma * inv_std).astype(dy.dtype, copy=False), out=dx)

    # -- dropout --------------------------------------------------------------------------------
    def dropout_mask(self, shape, p, seed, step, dtype, out=None):
        """Inverted-dropout mask: 0 with probability ``p``, else 1/(1-p).

        Counter-based: element ``i`` of training step ``step`` keeps its unit when
        ``hash32(key(seed, step) + i) >= p * 2^32`` (:func:`dropout_key`, :func:`hash32`),
        so every backend and the compiled path draw the same mask, and the state to
        checkpoint is a step count."""
        n = int(np.prod(shape))
        key = np.uint32(dropout_key(seed, step))
        h = hash32(np.arange(n, dtype=np.uint32) + key)
        out = np.empty(shape, dtype) if out is None else out
        keep = h.reshape(shape) >= np.uint32(dropout_threshold(p))
        np.multiply(keep, out.dtype.type(1.0 / (1.0 - p)), out=out)
        return out

    # -- losses (mean over the batch) -----------------------------------------------------------
    def softmax(self, logits):
        z = logits - logits.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def softmax_cross_entropy(self, logits, labels):
        """``(loss, d loss / d logits)``: loss = mean(logsumexp(z) - z[label]), gradient
        (softmax - onehot) / N."""
        n, k = logits.shape
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"{labels.size} labels for {n} rows")
        if n and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(f"labels must be in [0, {k})")
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.mean(np.log(s[:, 0]) - z[rows, labels])) if n else float("nan")
        e /= s
        e[rows, labels] -= 1
        e /= max(n, 1)
        return loss, e

    def mse(self, pred, target):
        """``(loss, grad)``: loss = mean over all elements of (pred - target)^2, gradient
        2 (pred - target) / size."""
        target = np.asarray(target, dtype=pred.dtype)
        if target.size != pred.size:
            raise ValueError(f"target has {target.size} values, predictions {pred.size}")
        diff = pred - target.reshape(pred.shape)
        loss = float(np.mean(diff * diff))
        diff *= pred.dtype.type(2.0 / max(diff.size, 1))
        return loss, diff

    # -- optimizer updates, in place on p and the state arrays -------------------------------
    def sgd_update(self, p, g, lr, wd):
        """p -= lr (g + wd p)."""
        if wd:
            g = g + p.dtype.type(wd) * p
        p -= p.dtype.type(lr) * g

    def momentum_update(self, p, g, v, lr, mu, wd, nesterov=False):
        """v = mu v + (g + wd p); p -= lr v (Nesterov: p -= lr (g + wd p + mu v))."""
        t = p.dtype.type
        if wd:
            g = g + t(wd) * p
        v *= t(mu)
        v += g
        p -= t(lr) * (g + t(mu) * v if nesterov else v)

    def adam_update(self, p, g, m, v, lr, b1, b2, eps, t, wd, decoupled=False):
        """Adam as PyTorch computes it (step ``t`` >= 1): m = b1 m + (1-b1) g,
        v = b2 v + (1-b2) g^2, p -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps).
        ``wd``: L2 added to g (Adam) or, ``decoupled``, p -= lr wd p first (AdamW)."""
        d = p.dtype.type
        if wd and decoupled:
            p *= d(1.0 - lr * wd)
        elif wd:
            g = g + d(wd) * p
        m *= d(b1)
        m += d(1 - b1) * g
        v *= d(b2)
        v += d(1 - b2) * (g * g)
        denom = np.sqrt(v)
        denom /= d(np.sqrt(1 - b2**t))
        denom += d(eps)
        p -= d(lr / (1 - b1**t)) * m / denom

    # -- the compiled path --------------------------------------------------------------------
    def kernel_module(self, kernels: Any, boundscheck: bool = False) -> Any:
        """The compiled kernels that ``kernels`` (a component's
        :class:`~nnplug.kernels.LayerKernels`, ``LossKernels`` or ``OptimizerKernels``) names,
        ready to call one function at a time (an object with the declared functions as
        attributes) -- what the kernel checks (:mod:`nnplug.runtime.kernel_calls`) run. A
        compiling backend sets up its compiler first (numba: cache directory, threads);
        ``boundscheck``: a build that raises ``IndexError`` on an out-of-bounds access
        instead of writing past an array. The reference compiles nothing and raises
        :class:`~nnplug.kernels.NotCompiled`."""
        raise NotCompiled(f"backend '{self.name or 'reference'}' does not compile kernels")

    def compile(self, model: Any, loss: Any = None, optimizer: Any = None) -> Any:
        """A compiled runner for ``model`` (prediction), or with ``loss`` and ``optimizer``
        for training; ``None`` to run per op (the reference always runs per op).

        A compiling backend returns an object with the
        :class:`nnplug.kernels.CompiledTrainer` interface when every component declares
        kernels, and raises :class:`nnplug.kernels.NotCompiled` (one line naming the
        component) when one does not."""
        return None


# -- the backend of the current context ------------------------------------------------------
#: set by :func:`nnplug.runtime.backends.use_backend`; read by every component that no model
#: has bound to a backend (:attr:`nnplug.base.Component.ops`)
_CURRENT: contextvars.ContextVar[Backend | None] = contextvars.ContextVar(
    "nnplug_backend", default=None
)
_REFERENCE: list[Backend] = []


def context_backend() -> Backend | None:
    """The backend of this context (:func:`nnplug.use_backend`), or None when none is set."""
    return _CURRENT.get()


def reference_backend() -> Backend:
    """The process's instance of this module's :class:`Backend`: the NumPy reference, which
    a component no model bound computes on when no context backend is set (the ``numpy``
    backend plugin is this class, unchanged)."""
    if not _REFERENCE:
        _REFERENCE.append(Backend())
    return _REFERENCE[0]


def set_context_backend(backend: Backend | None) -> contextvars.Token[Backend | None]:
    """Make ``backend`` the backend of this context; returns the token that undoes it
    (:func:`reset_context_backend`). What :func:`nnplug.use_backend` calls."""
    return _CURRENT.set(backend)


def reset_context_backend(token: contextvars.Token[Backend | None]) -> None:
    _CURRENT.reset(token)


__all__ = [
    "ACTIVATIONS",
    "Backend",
    "context_backend",
    "reference_backend",
    "reset_context_backend",
    "set_context_backend",
]
