"""Serial ``@njit`` kernels of the layers: bias + activation, activation backward,
BatchNorm (C-contiguous float32/float64 arrays, dtype preserved).

Activation codes: 0 identity, 1 relu, 2 sigmoid, 3 tanh. Column sums add BLOCK rows in
the array dtype, then join float64 totals. Element-wise math stays in the array dtype:
a Python ``1`` or ``n`` would promote every float32 element to float64 (2-3x slower),
so constants are made with ``_as``. No ``parallel=True``: BLAS owns the threads (see the
README's thread policy). Loaded through :func:`nnplug_numba.jit.load_kernels`.
"""
import math

import numpy as np

from .rows import (BLOCK, _act_row, _add_block, _affine_act_row, _as, _bias_act_row,
                   _bn_dx_row, _bn_out_row, _bn_sums_row, _dact_row, kernel)


@kernel
def bias_act_forward(z, b, has_bias, code):
    """z = act(z + b), in place."""
    zero, one = _as(z, 0), _as(z, 1)
    for i in range(z.shape[0]):
        if has_bias:
            _bias_act_row(z[i], b, code, zero, one)
        else:
            _act_row(z[i], code, zero, one)


@kernel
def neg_abs(z, e):
    """e = -|z| (the argument of the stable sigmoid's exp)."""
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            e[i, j] = -abs(z[i, j])


@kernel
def sigmoid_finish(z, e):
    """z = 1 / (1 + e) where z >= 0 else e / (1 + e), with e = exp(-|z|)."""
    one = _as(z, 1)
    for i in range(z.shape[0]):
        zr, er = z[i], e[i]
        for j in range(z.shape[1]):
            d = one + er[j]
            zr[j] = one / d if zr[j] >= 0 else er[j] / d


@kernel
def act_backward(y, dy, out, db, want_db, code):
    """out = dy * act'(y); db = column sums of out when ``want_db``."""
    n, m = y.shape
    zero, one = _as(y, 0), _as(y, 1)
    acc = np.zeros(m, np.float64)
    part = np.zeros(m, y.dtype)
    for i in range(n):
        orow = out[i]
        _dact_row(y[i], dy[i], orow, code, zero, one)
        if want_db:
            for j in range(m):
                part[j] += orow[j]
            if (i + 1) % BLOCK == 0 or i == n - 1:
                _add_block(acc, part)
    if want_db:
        for j in range(m):
            db[j] = acc[j]


@kernel
def column_sum(a, out):
    """out = a.sum(axis=0)."""
    n, m = a.shape
    acc = np.zeros(m, np.float64)
    part = np.zeros(m, a.dtype)
    for i in range(n):
        for j in range(m):
            part[j] += a[i, j]
        if (i + 1) % BLOCK == 0 or i == n - 1:
            _add_block(acc, part)
    for j in range(m):
        out[j] = acc[j]


@kernel
def batchnorm_forward_train(x, gamma, beta, eps, code, y, xhat, mean, var, inv_std):
    """One pass for mean and biased variance (sums of x - x[0], shifted so there is no
    cancellation; blocks of BLOCK rows in the dtype, totals in float64), one pass to
    write xhat and y = act(gamma * xhat + beta). Scratch arrays are local so LLVM
    knows they alias nothing and vectorises."""
    n, m = x.shape
    zero, one = _as(x, 0), _as(x, 1)
    s = np.zeros(m, np.float64)
    q = np.zeros(m, np.float64)
    ps = np.zeros(m, x.dtype)
    pq = np.zeros(m, x.dtype)
    k = x[0].copy()
    for i0 in range(1, n, BLOCK):
        for i in range(i0, min(i0 + BLOCK, n)):
            xr = x[i]
            for j in range(m):
                d = xr[j] - k[j]
                ps[j] += d
                pq[j] += d * d
        for j in range(m):
            s[j] += ps[j]
            q[j] += pq[j]
            ps[j] = 0
            pq[j] = 0
    mu = np.empty(m, x.dtype)
    istd = np.empty(m, x.dtype)
    for j in range(m):
        d = s[j] / n
        v = max(q[j] / n - d * d, 0.0)
        mu[j] = mean[j] = k[j] + d
        var[j] = v
        istd[j] = inv_std[j] = 1.0 / math.sqrt(v + eps)
    for i in range(n):
        _bn_out_row(x[i], mu, istd, gamma, beta, xhat[i], y[i], code, zero, one)


@kernel
def batchnorm_forward_eval(x, gamma, beta, mean, var, eps, code, y):
    """y = act((x - mean) * gamma / sqrt(var + eps) + beta)."""
    n, m = x.shape
    zero, one = _as(x, 0), _as(x, 1)
    scale = np.empty(m, x.dtype)
    for j in range(m):
        scale[j] = gamma[j] / math.sqrt(var[j] + eps)
    for i in range(n):
        xr, yr = x[i], y[i]
        for j in range(m):
            yr[j] = xr[j] - mean[j]
        _affine_act_row(yr, scale, beta, yr, code, zero, one)


@kernel
def batchnorm_backward(dy, xhat, inv_std, gamma, dgamma, dbeta, dx, y, code):
    """g = dy * act'(y); dbeta = sum g; dgamma = sum g xhat (blocked sums as in the
    forward); dx = gamma inv_std / N (N g - dbeta - xhat dgamma)."""
    n, m = dy.shape
    zero, one = _as(dy, 0), _as(dy, 1)
    sb = np.zeros(m, np.float64)
    sg = np.zeros(m, np.float64)
    pb = np.empty(m, dy.dtype)
    pg = np.empty(m, dy.dtype)
    for i0 in range(0, n, BLOCK):
        pb[:] = 0
        pg[:] = 0
        for i in range(i0, min(i0 + BLOCK, n)):
            _bn_sums_row(dy[i], y[i], xhat[i], pb, pg, code, zero, one)
        for j in range(m):
            sb[j] += pb[j]
            sg[j] += pg[j]
    k = np.empty(m, dy.dtype)
    db = np.empty(m, dy.dtype)
    dg = np.empty(m, dy.dtype)
    for j in range(m):
        db[j] = dbeta[j] = sb[j]
        dg[j] = dgamma[j] = sg[j]
        k[j] = gamma[j] * inv_std[j] / n
    nn = _as(k, n)  # N in the array dtype (an int would promote each row to float64)
    for i in range(n):
        _bn_dx_row(dy[i], y[i], xhat[i], dx[i], k, db, dg, nn, code, zero, one)
