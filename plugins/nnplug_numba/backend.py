"""The ``numba`` backend: compiled training steps, and fused per-op kernels.

* **Compiled path** (:meth:`NumbaBackend.compile`): when every layer, the loss and the
  optimizer declare kernels (:mod:`nnplug.kernels`), whole training steps run in one
  generated ``@njit`` driver (:mod:`nnplug_numba.codegen`, :mod:`nnplug_numba.trainer`);
  validation and prediction too.
* **Per op** (a model with a component that has no kernels): the ops below override the
  NumPy reference with the same kernels the compiled path uses, called one at a time;
  what is not overridden (sigmoid/tanh element-wise -- NumPy's SIMD ``exp``/``tanh`` beat
  numba's scalar ones without SVML -- and BatchNorm's eval-mode backward) is the reference.

GEMMs stay in BLAS. numba is imported when the backend is created, never before.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import numpy as np

from nnplug.backend import Backend
from nnplug.kernels import ACTIVATION_CODES, NotCompiled
from nnplug_numba import jit

_FAST = (None, "relu")  # activations the per-op kernels apply themselves


def _c(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a)


def _2d(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1, a.shape[-1]) if a.ndim >= 2 else a.reshape(1, -1)


class NumbaBackend(Backend):
    """Compiled training steps where every component has kernels; fused ops otherwise."""

    name = "numba"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return jit.availability()

    def __init__(self, **options: Any):
        super().__init__(**options)
        jit.load()
        from . import fused  # imports numba

        self._fused = fused
        self._empty = {np.dtype(t): np.zeros(0, t) for t in (np.float32, np.float64)}

    # -- the compiled path -----------------------------------------------------------------
    def kernel_module(self, kernels: Any, boundscheck: bool = False) -> Any:
        """``kernels.module`` imported with numba loaded and its cache configured; with
        ``boundscheck``, its declared functions built again with numba's bounds checks (not
        cached: they are for checks, not training)."""
        jit.load()
        module = importlib.import_module(kernels.module)
        if not boundscheck:
            return module
        from numba import njit

        names = [
            getattr(kernels, n) for n in ("forward", "backward", "update") if hasattr(kernels, n)
        ]
        checked = {}
        for name in names:
            fn = getattr(module, name)
            options = dict(getattr(fn, "targetoptions", {}), boundscheck=True)
            options.pop("cache", None)
            options.pop("nopython", None)
            checked[name] = njit(**options)(getattr(fn, "py_func", fn))
        return SimpleNamespace(**checked)

    def compile(self, model: Any, loss: Any = None, optimizer: Any = None) -> Any:
        from numba import config

        from nnplug_numba.trainer import CompiledRunner

        if config.DISABLE_JIT:  # type: ignore[attr-defined]  # set at import, unknown to mypy
            raise NotCompiled("NUMBA_DISABLE_JIT=1 is set: the kernels run as Python, per op")
        runner = CompiledRunner(model, loss, optimizer)
        if loss is None:
            runner.prepare()
        return runner

    # -- element-wise ------------------------------------------------------------------------
    def activation_forward(self, kind, x, out=None):
        if kind not in _FAST or not x.flags.c_contiguous or x.ndim < 1:
            return super().activation_forward(kind, x, out)
        out = np.empty_like(x) if out is None else out
        self._fused.apply(_2d(x), _2d(out), ACTIVATION_CODES[kind])
        return out

    def activation_backward(self, kind, y, dy, out=None):
        if kind is None:
            return dy
        out = np.empty_like(dy) if out is None else out
        self._fused.grad(_2d(_c(y)), _2d(_c(dy)), _2d(out), ACTIVATION_CODES[kind])
        return out

    # -- dense -------------------------------------------------------------------------------
    def linear_forward(self, x, W, b, act=None, out=None):
        y = np.matmul(x, W, out=out)
        bias = _c(b) if b is not None else self._empty[y.dtype]
        self._fused.add_bias_activation(y, bias, ACTIVATION_CODES[act if act in _FAST else None])
        return y if act in _FAST else super().activation_forward(act, y, out=y)

    def linear_backward(self, x, W, y, dy, dW, db, act=None, need_dx=True, dz=None, dx=None):
        dy = _c(dy)
        if act is None and db is None:
            dz = dy
        else:
            dz = dy if act is None else (np.empty_like(dy) if dz is None else dz)
            self._fused.activation_backward_sum(
                _c(y),
                dy,
                dz,
                db if db is not None else self._empty[dy.dtype],
                ACTIVATION_CODES[act],
                db is not None,
            )
        np.matmul(x.T, dz, out=dW)
        return np.matmul(dz, W.T, out=dx) if need_dx else None

    # -- batch normalisation -------------------------------------------------------------------
    def batchnorm_forward_train(self, x, gamma, beta, eps, act=None, y=None, xhat=None):
        x = _c(x)
        y = np.empty_like(x) if y is None else y
        xhat = np.empty_like(x) if xhat is None else xhat
        mean, var, inv_std = (np.empty(x.shape[1], x.dtype) for _ in range(3))
        code = ACTIVATION_CODES[act if act in _FAST else None]
        self._fused.train_forward(
            x, _c(gamma), _c(beta), float(eps), code, y, xhat, mean, var, inv_std
        )
        if act not in _FAST:
            super().activation_forward(act, y, out=y)
        return y, xhat, inv_std, mean, var

    def batchnorm_forward_eval(self, x, gamma, beta, mean, var, eps, act=None, out=None):
        x = _c(x)
        y = np.empty_like(x) if out is None else out
        code = ACTIVATION_CODES[act if act in _FAST else None]
        self._fused.eval_forward(x, _c(gamma), _c(beta), _c(mean), _c(var), float(eps), code, y)
        return y if act in _FAST else super().activation_forward(act, y, out=y)

    def batchnorm_backward(self, dy, y, xhat, inv_std, gamma, dgamma, dbeta, act=None, dx=None):
        dy = _c(dy)
        dx = np.empty_like(dy) if dx is None else dx
        self._fused.train_backward(
            dy, _c(y), _c(xhat), _c(inv_std), _c(gamma), dgamma, dbeta, dx, ACTIVATION_CODES[act]
        )
        return dx

    # -- dropout ---------------------------------------------------------------------------------
    def dropout_mask(self, shape, p, seed, step, dtype, out=None):
        out = np.empty(shape, dtype) if out is None else out
        self._fused.fill_mask(_2d(out), float(p), int(seed), int(step))
        return out

    # -- losses -----------------------------------------------------------------------------------
    def softmax(self, logits):
        logits = _c(logits)
        out = np.empty_like(logits)
        self._fused.softmax(logits, out)
        return out

    def softmax_cross_entropy(self, logits, labels):
        logits = _c(logits)
        labels = np.ascontiguousarray(labels, dtype=np.int64)
        if labels.shape != logits.shape[:1]:
            raise ValueError(f"{labels.size} labels for {logits.shape[0]} rows")
        grad = np.empty_like(logits)
        loss = self._fused.softmax_ce(logits, labels, grad, np.zeros(1))
        if loss != loss and len(labels) and (labels.min() < 0 or labels.max() >= logits.shape[1]):
            raise ValueError(f"labels must be in [0, {logits.shape[1]})")
        return float(loss), grad

    def mse(self, pred, target):
        pred = _c(pred)
        target = np.asarray(target, dtype=pred.dtype)
        if target.size != pred.size:
            raise ValueError(f"target has {target.size} values, predictions {pred.size}")
        grad = np.empty_like(pred)
        loss = self._fused.mse(
            _2d(pred), _2d(np.ascontiguousarray(target.reshape(pred.shape))), _2d(grad), np.zeros(1)
        )
        return float(loss), grad

    # -- optimizer updates, in place ---------------------------------------------------------------
    @staticmethod
    def _flat(a: np.ndarray) -> np.ndarray:
        if not a.flags.c_contiguous:
            raise ValueError(
                "the numba backend updates parameters in place and needs C-contiguous arrays"
            )
        return a.reshape(-1)

    def sgd_update(self, p, g, lr, wd):
        self._fused.sgd(self._flat(p), _c(g).reshape(-1), (), np.zeros(1), float(lr), float(wd), 1)

    def momentum_update(self, p, g, v, lr, mu, wd, nesterov=False):
        self._fused.momentum(
            self._flat(p),
            _c(g).reshape(-1),
            (self._flat(v),),
            np.array([mu, float(nesterov)]),
            float(lr),
            float(wd),
            1,
        )

    def adam_update(self, p, g, m, v, lr, b1, b2, eps, t, wd, decoupled=False):
        self._fused.adam(
            self._flat(p),
            _c(g).reshape(-1),
            (self._flat(m), self._flat(v)),
            np.array([b1, b2, eps, float(decoupled)]),
            float(lr),
            float(wd),
            int(t),
        )
