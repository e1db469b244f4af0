"""Serial ``@njit`` kernels (C-contiguous float32/float64 arrays, dtype preserved).

Activation codes: 0 identity, 1 relu, 2 sigmoid, 3 tanh. Column sums add BLOCK rows in
the array dtype, then join float64 totals. Element-wise math stays in the array dtype:
a Python ``1`` or ``n`` would promote every float32 element to float64 (2-3x slower),
so constants are made with :func:`_as`. No ``parallel=True``: BLAS owns the threads
(see the README's thread policy). Import through :func:`nnplug_numba.jit.load_kernels`.
"""
import math

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


# Row helpers: the activation branch sits outside each inner loop so LLVM vectorises it
# (a per-element ``if code`` costs 10-20x at 256 x 1024). ``v != v`` keeps ReLU's NaN.
# Forward helpers fuse ReLU only: numba's scalar exp/tanh (no SVML here) ran 5-25x slower
# than NumPy's SIMD ones, so sigmoid/tanh forward finish in NumPy (see backend.py).
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


@njit(inline="always")
def _add_block(total, part):
    for j in range(total.shape[0]):
        total[j] += part[j]
        part[j] = 0


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


# Softmax: NumPy's SIMD ``np.exp`` runs between these two kernels (numba's scalar exp is
# several times slower on this machine: no SVML).
@kernel
def row_shift(z, out):
    """out = z - max(z) per row."""
    n, m = z.shape
    for i in range(n):
        mx = z[i, 0]
        for j in range(1, m):
            mx = max(mx, z[i, j])
        for j in range(m):
            out[i, j] = z[i, j] - mx


@kernel
def softmax_finish(e):
    """e = e / sum(e) per row, in place (e = exp(z - max))."""
    n, m = e.shape
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += e[i, j]
        r = 1.0 / s
        for j in range(m):
            e[i, j] *= r


@kernel
def softmax_ce_finish(z, e, labels):
    """Given z = logits - max and e = exp(z): loss = mean(log sum e - z[label]); e becomes
    the gradient (e / sum e - onehot) / N in place. Returns NaN for a label out of range."""
    n, m = z.shape
    total = 0.0
    for i in range(n):
        t = labels[i]
        if t < 0 or t >= m:
            return np.nan
        s = 0.0
        for j in range(m):
            s += e[i, j]
        total += math.log(s) - z[i, t]
        r = 1.0 / (s * n)
        for j in range(m):
            e[i, j] *= r
        e[i, t] -= 1.0 / n
    return total / n


@kernel
def mse(pred, target, grad):
    """mean((pred - target)^2); grad = 2 (pred - target) / size. Flat arrays."""
    total = 0.0
    c = 2.0 / pred.size
    for i in range(pred.size):
        d = pred[i] - target[i]
        total += d * d
        grad[i] = d * c
    return total / pred.size


@exact
def sgd_step(p, g, lr, wd):
    """p -= lr (g + wd p), flat views, in place."""
    for i in range(p.size):
        p[i] -= lr * (g[i] + wd * p[i] if wd != 0 else g[i])


@exact
def momentum_step(p, g, v, lr, mu, wd, nesterov):
    """v = mu v + (g + wd p); p -= lr v (nesterov: lr (g + wd p + mu v))."""
    for i in range(p.size):
        gi = g[i] + wd * p[i] if wd != 0 else g[i]
        vi = v[i] * mu + gi
        v[i] = vi
        if nesterov:
            p[i] -= lr * (gi + mu * vi)
        else:
            p[i] -= lr * vi


@exact
def adam_step(p, g, m, v, step, b1, c1, b2, c2, eps, wd):
    """m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= step m / (sqrt(v) + eps)."""
    for i in range(p.size):
        gi = g[i] + wd * p[i] if wd != 0 else g[i]
        mi = m[i] * b1 + c1 * gi
        vi = v[i] * b2 + c2 * (gi * gi)
        m[i] = mi
        v[i] = vi
        p[i] -= step * mi / (np.sqrt(vi) + eps)
