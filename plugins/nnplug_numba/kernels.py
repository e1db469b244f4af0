"""Serial ``@njit`` kernels (C-contiguous float32/float64 arrays, dtype preserved).

Activation codes: 0 identity, 1 relu, 2 sigmoid, 3 tanh. Reductions accumulate in
float64 whatever the array dtype. No ``parallel=True``: BLAS owns the threads (see
the README's thread policy). Import through :func:`nnplug_numba.jit.load_kernels`.
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


# Row helpers: the activation branch sits outside each inner loop so LLVM vectorises it
# (a per-element ``if code`` costs 10-20x at 256 x 1024). ``v != v`` keeps ReLU's NaN.
@njit(inline="always")
def _sigmoid(v):
    e = math.exp(-abs(v))
    return 1 / (1 + e) if v >= 0 else e / (1 + e)


@njit(inline="always")
def _affine_act_row(h, gamma, beta, out, code):
    """out = act(h * gamma + beta) for one row (gamma/beta may be None-like: see callers)."""
    m = h.shape[0]
    if code == 1:
        for j in range(m):
            v = h[j] * gamma[j] + beta[j]
            out[j] = v if (v > 0 or v != v) else 0
    elif code == 2:
        for j in range(m):
            out[j] = _sigmoid(h[j] * gamma[j] + beta[j])
    elif code == 3:
        for j in range(m):
            out[j] = math.tanh(h[j] * gamma[j] + beta[j])
    else:
        for j in range(m):
            out[j] = h[j] * gamma[j] + beta[j]


@njit(inline="always")
def _bias_act_row(z, b, code):
    """z = act(z + b) for one row, in place."""
    m = z.shape[0]
    if code == 1:
        for j in range(m):
            v = z[j] + b[j]
            z[j] = v if (v > 0 or v != v) else 0
    elif code == 2:
        for j in range(m):
            z[j] = _sigmoid(z[j] + b[j])
    elif code == 3:
        for j in range(m):
            z[j] = math.tanh(z[j] + b[j])
    else:
        for j in range(m):
            z[j] += b[j]


@njit(inline="always")
def _act_row(z, code):
    """z = act(z) for one row, in place."""
    m = z.shape[0]
    if code == 1:
        for j in range(m):
            v = z[j]
            z[j] = v if (v > 0 or v != v) else 0
    elif code == 2:
        for j in range(m):
            z[j] = _sigmoid(z[j])
    elif code == 3:
        for j in range(m):
            z[j] = math.tanh(z[j])


@njit(inline="always")
def _dact_row(y, g, out, code):
    """out = g * act'(x), expressed through y = act(x), for one row."""
    m = y.shape[0]
    if code == 1:
        for j in range(m):
            out[j] = g[j] * (y[j] > 0)
    elif code == 2:
        for j in range(m):
            out[j] = g[j] * y[j] * (1 - y[j])
    elif code == 3:
        for j in range(m):
            out[j] = g[j] * (1 - y[j] * y[j])
    else:
        for j in range(m):
            out[j] = g[j]


@kernel
def bias_act_forward(z, b, has_bias, code):
    """z = act(z + b), in place."""
    for i in range(z.shape[0]):
        if has_bias:
            _bias_act_row(z[i], b, code)
        else:
            _act_row(z[i], code)


@kernel
def act_backward(y, dy, out, db, want_db, code):
    """out = dy * act'(y); db = column sums of out when ``want_db``."""
    n, m = y.shape
    acc = np.zeros(m, np.float64)
    for i in range(n):
        orow = out[i]
        _dact_row(y[i], dy[i], orow, code)
        if want_db:
            for j in range(m):
                acc[j] += orow[j]
    if want_db:
        for j in range(m):
            db[j] = acc[j]


@kernel
def column_sum(a, out):
    """out = a.sum(axis=0), accumulated in float64."""
    n, m = a.shape
    acc = np.zeros(m, np.float64)
    for i in range(n):
        for j in range(m):
            acc[j] += a[i, j]
    for j in range(m):
        out[j] = acc[j]


@kernel
def batchnorm_forward_train(x, gamma, beta, eps, code, y, xhat, mean, var, inv_std):
    """Two passes for mean and biased variance (float64), one to write xhat and
    y = act(gamma * xhat + beta)."""
    n, m = x.shape
    s = np.zeros(m, np.float64)
    for i in range(n):
        for j in range(m):
            s[j] += x[i, j]
    for j in range(m):
        s[j] /= n
    q = np.zeros(m, np.float64)
    for i in range(n):
        for j in range(m):
            d = x[i, j] - s[j]
            q[j] += d * d
    for j in range(m):
        v = q[j] / n
        mean[j] = s[j]
        var[j] = v
        inv_std[j] = 1.0 / math.sqrt(v + eps)
    for i in range(n):
        xr, hr = x[i], xhat[i]
        for j in range(m):
            hr[j] = (xr[j] - mean[j]) * inv_std[j]
        _affine_act_row(hr, gamma, beta, y[i], code)


@kernel
def batchnorm_forward_eval(x, gamma, beta, mean, var, eps, code, y):
    """y = act((x - mean) * gamma / sqrt(var + eps) + beta)."""
    n, m = x.shape
    scale = np.empty(m, x.dtype)
    for j in range(m):
        scale[j] = gamma[j] / math.sqrt(var[j] + eps)
    for i in range(n):
        xr, yr = x[i], y[i]
        for j in range(m):
            yr[j] = xr[j] - mean[j]
        _affine_act_row(yr, scale, beta, yr, code)


@kernel
def batchnorm_backward(dy, xhat, inv_std, gamma, dgamma, dbeta, dx, y, code):
    """g = dy * act'(y); dbeta = sum g; dgamma = sum g xhat;
    dx = gamma inv_std / N (N g - dbeta - xhat dgamma)."""
    n, m = dy.shape
    sb = np.zeros(m, np.float64)
    sg = np.zeros(m, np.float64)
    g = np.empty(m, dy.dtype)
    for i in range(n):
        hr = xhat[i]
        _dact_row(y[i], dy[i], g, code)
        for j in range(m):
            sb[j] += g[j]
            sg[j] += g[j] * hr[j]
    for j in range(m):
        dbeta[j] = sb[j]
        dgamma[j] = sg[j]
    k = np.empty(m, dy.dtype)
    for j in range(m):
        k[j] = gamma[j] * inv_std[j] / n
    for i in range(n):
        hr, xr = xhat[i], dx[i]
        _dact_row(y[i], dy[i], g, code)
        for j in range(m):
            xr[j] = (g[j] * n - dbeta[j] - hr[j] * dgamma[j]) * k[j]


@kernel
def softmax(z, out):
    """out = exp(z - max) / sum(exp(z - max)) per row."""
    n, m = z.shape
    for i in range(n):
        mx = z[i, 0]
        for j in range(1, m):
            mx = max(mx, z[i, j])
        s = 0.0
        for j in range(m):
            e = math.exp(z[i, j] - mx)
            out[i, j] = e
            s += e
        for j in range(m):
            out[i, j] /= s


@kernel
def softmax_ce(z, labels, grad):
    """Mean CE via log-sum-exp; grad = (softmax - onehot) / N. Returns the loss."""
    n, m = z.shape
    total = 0.0
    for i in range(n):
        mx = z[i, 0]
        for j in range(1, m):
            mx = max(mx, z[i, j])
        s = 0.0
        for j in range(m):
            e = math.exp(z[i, j] - mx)
            grad[i, j] = e
            s += e
        t = labels[i]
        total += math.log(s) - (z[i, t] - mx)
        r = 1.0 / (s * n)
        for j in range(m):
            grad[i, j] *= r
        grad[i, t] -= 1.0 / n
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
