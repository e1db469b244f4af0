"""Compile flags and the inlined row helpers of the kernels (``inline="always"``:
compiled into each kernel, never called from Python).

The activation branch sits outside each inner loop so LLVM vectorises it (a per-element
``if code`` cost 10-20x at 256 x 1024). ``v != v`` keeps ReLU's NaN. Forward helpers fuse
ReLU only: numba's scalar exp/tanh (no SVML here) ran 5-25x slower than NumPy's SIMD ones,
so sigmoid/tanh forward finish in NumPy (see backend.py). Constants come from :func:`_as`
so float32 rows stay float32.
"""
import numpy as np
from numba import njit

from .jit import CACHE

# fastmath without nnan/ninf: NaN/inf still propagate (a diverging run must show it)
FLAGS = {"nsz", "arcp", "contract", "afn", "reassoc"}
kernel = njit(cache=CACHE, fastmath=FLAGS, nogil=True, error_model="numpy")
# the optimizer updates stay exactly NumPy's arithmetic (no contraction/reassociation)
exact = njit(cache=CACHE, nogil=True, error_model="numpy")
BLOCK = 8  # rows summed in the array dtype before joining the float64 totals


@njit(inline="always")
def _as(like, v):
    """``v`` converted to the dtype of array ``like``."""
    a = np.empty(1, like.dtype)
    a[0] = v
    return a[0]


@njit(inline="always")
def _relu(v, zero):
    return v if (v > zero or v != v) else zero


@njit(inline="always")
def _affine_act_row(h, gamma, beta, out, code, zero, one):
    """out = act(h * gamma + beta) for one row."""
    m = h.shape[0]
    if code == 1:
        for j in range(m):
            out[j] = _relu(h[j] * gamma[j] + beta[j], zero)
    else:
        for j in range(m):
            out[j] = h[j] * gamma[j] + beta[j]


@njit(inline="always")
def _bias_act_row(z, b, code, zero, one):
    """z = act(z + b) for one row, in place (act: identity or relu)."""
    m = z.shape[0]
    if code == 1:
        for j in range(m):
            z[j] = _relu(z[j] + b[j], zero)
    else:
        for j in range(m):
            z[j] += b[j]


@njit(inline="always")
def _act_row(z, code, zero, one):
    """z = act(z) for one row, in place."""
    m = z.shape[0]
    if code == 1:
        for j in range(m):
            z[j] = _relu(z[j], zero)


@njit(inline="always")
def _dact_row(y, g, out, code, zero, one):
    """out = g * act'(x), expressed through y = act(x), for one row (NumPy's order)."""
    m = y.shape[0]
    if code == 1:
        for j in range(m):
            out[j] = g[j] if y[j] > zero else g[j] * zero
    elif code == 2:
        for j in range(m):
            out[j] = g[j] * y[j] * (one - y[j])
    elif code == 3:
        for j in range(m):
            out[j] = g[j] * (one - y[j] * y[j])
    else:
        for j in range(m):
            out[j] = g[j]


@njit(inline="always")
def _add_block(total, part):
    for j in range(total.shape[0]):
        total[j] += part[j]
        part[j] = 0


@njit(inline="always")
def _bn_out_row(x, mu, istd, gamma, beta, h, y, code, zero, one):
    """h = (x - mean) inv_std; y = act(gamma h + beta), one loop per activation."""
    m = x.shape[0]
    if code == 1:
        for j in range(m):
            v = (x[j] - mu[j]) * istd[j]
            h[j] = v
            y[j] = _relu(v * gamma[j] + beta[j], zero)
    else:
        for j in range(m):
            v = (x[j] - mu[j]) * istd[j]
            h[j] = v
            y[j] = v * gamma[j] + beta[j]


@njit(inline="always")
def _bn_sums_row(dy, y, h, pb, pg, code, zero, one):
    """pb += g, pg += g * xhat for one row, g = dy * act'(y) (one loop per activation)."""
    m = dy.shape[0]
    if code == 1:
        for j in range(m):
            g = dy[j] if y[j] > zero else dy[j] * zero
            pb[j] += g
            pg[j] += g * h[j]
    elif code == 2:
        for j in range(m):
            g = dy[j] * y[j] * (one - y[j])
            pb[j] += g
            pg[j] += g * h[j]
    elif code == 3:
        for j in range(m):
            g = dy[j] * (one - y[j] * y[j])
            pb[j] += g
            pg[j] += g * h[j]
    else:
        for j in range(m):
            pb[j] += dy[j]
            pg[j] += dy[j] * h[j]


@njit(inline="always")
def _bn_dx_row(dy, y, h, dx, k, db, dg, nn, code, zero, one):
    """dx = (N g - dbeta - xhat dgamma) k for one row, g = dy * act'(y)."""
    m = dy.shape[0]
    if code == 1:
        for j in range(m):
            g = dy[j] if y[j] > zero else dy[j] * zero
            dx[j] = (g * nn - db[j] - h[j] * dg[j]) * k[j]
    elif code == 2:
        for j in range(m):
            dx[j] = (dy[j] * y[j] * (one - y[j]) * nn - db[j] - h[j] * dg[j]) * k[j]
    elif code == 3:
        for j in range(m):
            dx[j] = (dy[j] * (one - y[j] * y[j]) * nn - db[j] - h[j] * dg[j]) * k[j]
    else:
        for j in range(m):
            dx[j] = (dy[j] * nn - db[j] - h[j] * dg[j]) * k[j]
