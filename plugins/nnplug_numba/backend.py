"""The ``numba`` backend: the NumPy reference's math as fused, serial ``@njit`` kernels.

GEMMs stay in NumPy/BLAS (``np.matmul(..., out=)``); what is memory-bound -- bias +
activation, BatchNorm (+ activation), softmax cross-entropy, MSE and the optimizer
updates -- runs as one kernel each. Kernels are compiled lazily per dtype (float32 and
float64, C-contiguous) and cached on disk; see :mod:`nnplug_numba.jit`.
"""
from __future__ import annotations

import numpy as np

from nnplug.backend import Backend, BlasLinearAct

from . import jit

CODES = {None: 0, "relu": 1, "sigmoid": 2, "tanh": 3}


def _code(kind) -> int:
    try:
        return CODES[kind]
    except KeyError:
        raise ValueError(f"unknown activation {kind!r}") from None


def _c(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a)


def _2d(a: np.ndarray) -> np.ndarray:
    """A C-contiguous 2-D view (rows, last axis) of ``a`` for the element-wise kernels."""
    a = np.ascontiguousarray(a)
    return a.reshape(-1, a.shape[-1]) if a.ndim >= 2 else a.reshape(1, -1)


def _flat(a: np.ndarray, what: str) -> np.ndarray:
    if not a.flags.c_contiguous:
        raise ValueError(f"numba backend updates {what} in place and needs C-contiguous arrays")
    return a.reshape(-1)


def _empty(dtype) -> np.ndarray:
    return np.empty(0, dtype)


class NumbaBackend(BlasLinearAct, Backend):
    """Fused serial Numba kernels for the memory-bound ops; GEMMs stay in BLAS."""

    name = "numba"

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        return jit.availability()

    def __init__(self, **options):
        super().__init__(**options)
        self.k = jit.load_kernels()

    # -- dense + activation ------------------------------------------------------------
    def linear_forward(self, x, W, b):
        return self.linear_act_forward(x, W, b, None)

    def _smooth(self, code: int, y: np.ndarray) -> None:
        """y = sigmoid(y) or tanh(y) in place on a C-contiguous 2-D array, through NumPy's
        SIMD exp/tanh (numba's scalar ones are 5-25x slower without SVML)."""
        if code == 3:
            np.tanh(y, out=y)
        elif code == 2:
            e = np.empty_like(y)
            self.k.neg_abs(y, e)
            np.exp(e, out=e)
            self.k.sigmoid_finish(y, e)

    def bias_act(self, kind, z, b):
        code = _code(kind)
        if not z.flags.c_contiguous:
            raise ValueError("bias_act works in place and needs a C-contiguous array")
        z2 = z.reshape(-1, z.shape[-1]) if z.ndim >= 2 else z.reshape(1, -1)
        fused = code if code <= 1 else 0
        if b is not None or fused:
            bias = _c(b) if b is not None else _empty(z.dtype)
            self.k.bias_act_forward(z2, bias, b is not None, fused)
        self._smooth(code, z2)
        return z

    def bias_act_backward(self, kind, y, dy, db, out=None):
        code = _code(kind)
        dy = _c(dy)
        if not code:
            if db is not None:
                self.k.column_sum(dy, db)
            return dy
        out = np.empty_like(dy) if out is None else out
        self.k.act_backward(_c(y), dy, out, db if db is not None else _empty(dy.dtype),
                            db is not None, code)
        return out

    def linear_backward(self, x, W, dy, dW, db, need_dx=True):
        return self.linear_act_backward(x, W, None, dy, dW, db, None, need_dx)

    def act_forward(self, kind, x):
        return self.bias_act(kind, np.array(x, order="C", copy=True), None)

    def act_backward(self, kind, y, dy):
        out = np.empty(np.shape(dy), dy.dtype)
        self.k.act_backward(_2d(y), _2d(dy), _2d(out), _empty(out.dtype), False, _code(kind))
        return out

    # -- batch norm ----------------------------------------------------------------------
    def batchnorm_forward_train(self, x, gamma, beta, eps):
        return self.batchnorm_act_forward_train(x, gamma, beta, eps, None)

    def batchnorm_act_forward_train(self, x, gamma, beta, eps, kind=None, y=None, xhat=None):
        x = _c(x)
        y = np.empty_like(x) if y is None else y
        xhat = np.empty_like(x) if xhat is None else xhat
        m = x.shape[1]
        mean, var, inv_std = (np.empty(m, x.dtype) for _ in range(3))
        code = _code(kind)
        self.k.batchnorm_forward_train(x, _c(gamma), _c(beta), float(eps), code if code <= 1 else 0,
                                       y, xhat, mean, var, inv_std)
        self._smooth(code, y)
        return y, xhat, inv_std, mean, var

    def batchnorm_forward_eval(self, x, gamma, beta, mean, var, eps):
        return self.batchnorm_act_forward_eval(x, gamma, beta, mean, var, eps, None)

    def batchnorm_act_forward_eval(self, x, gamma, beta, mean, var, eps, kind=None):
        x = _c(x)
        y = np.empty_like(x)
        code = _code(kind)
        self.k.batchnorm_forward_eval(x, _c(gamma), _c(beta), _c(mean), _c(var), float(eps),
                                      code if code <= 1 else 0, y)
        self._smooth(code, y)
        return y

    def batchnorm_backward(self, dy, xhat, inv_std, gamma, dgamma, dbeta):
        return self.batchnorm_act_backward(dy, xhat, xhat, inv_std, gamma, dgamma, dbeta,
                                           None)

    def batchnorm_act_backward(self, dy, y, xhat, inv_std, gamma, dgamma, dbeta, kind=None,
                               dx=None):
        dy = _c(dy)
        dx = np.empty_like(dy) if dx is None else dx
        self.k.batchnorm_backward(dy, _c(xhat), _c(inv_std), _c(gamma), dgamma, dbeta, dx,
                                  _c(y), _code(kind))
        return dx

    # -- losses ------------------------------------------------------------------------------
    def softmax_ce(self, logits, labels):
        logits = _c(logits)
        labels = np.ascontiguousarray(labels, dtype=np.intp)
        if labels.shape != logits.shape[:1]:
            raise ValueError(f"{labels.size} labels for {logits.shape[0]} rows")
        z, grad = np.empty_like(logits), np.empty_like(logits)
        self.k.row_shift(logits, z)
        np.exp(z, out=grad)
        loss = self.k.softmax_ce_finish(z, grad, labels)
        if loss != loss and np.all(np.isfinite(logits)):
            raise ValueError(f"labels must be in [0, {logits.shape[1]})")
        return float(loss), grad

    def softmax(self, logits):
        logits = _c(logits)
        out = np.empty_like(logits)
        self.k.row_shift(logits, out)
        np.exp(out, out=out)
        self.k.softmax_finish(out)
        return out

    def mse(self, pred, target):
        pred = _c(pred)
        target = np.ascontiguousarray(target, dtype=pred.dtype).reshape(-1)
        if target.size != pred.size:
            raise ValueError(f"target has {target.size} values, predictions {pred.size}")
        grad = np.empty_like(pred)
        loss = self.k.mse(pred.reshape(-1), target, grad.reshape(-1))
        return float(loss), grad

    # -- optimizer updates, in place --------------------------------------------------------
    def sgd_step(self, p, g, lr, wd):
        t = p.dtype.type
        self.k.sgd_step(_flat(p, "parameters"), _c(g).reshape(-1), t(lr), t(wd))

    def momentum_step(self, p, g, v, lr, mu, wd, nesterov):
        t = p.dtype.type
        self.k.momentum_step(_flat(p, "parameters"), _c(g).reshape(-1), _flat(v, "state"),
                             t(lr), t(mu), t(wd), bool(nesterov))

    def adam_step(self, p, g, m, v, lr, b1, b2, eps, t, wd):
        d = p.dtype.type
        step, root_bc2 = lr / (1 - b1 ** t), 1 / np.sqrt(1 - b2 ** t)  # eps as PyTorch places it
        self.k.adam_step(_flat(p, "parameters"), _c(g).reshape(-1), _flat(m, "state"),
                         _flat(v, "state"), d(step), d(b1), d(1 - b1), d(b2), d(1 - b2),
                         d(root_bc2), d(eps), d(wd))
