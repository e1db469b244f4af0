"""Serial ``@njit`` kernels of the losses (softmax cross-entropy, MSE) and of the
optimizer updates (in place over flat parameter views). Loaded through
:func:`nnplug_numba.jit.load_kernels`.
"""
import math

import numpy as np

from .rows import _as, exact, kernel


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
    c = _as(pred, 2.0 / pred.size)
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
def adam_step(p, g, m, v, step, b1, c1, b2, c2, root_bc2, eps, wd):
    """m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= step m / (sqrt(v) root_bc2 + eps)
    with step = lr / (1 - b1^t), root_bc2 = 1 / sqrt(1 - b2^t): eps added to sqrt(v_hat)."""
    for i in range(p.size):
        gi = g[i] + wd * p[i] if wd != 0 else g[i]
        mi = m[i] * b1 + c1 * gi
        vi = v[i] * b2 + c2 * (gi * gi)
        m[i] = mi
        v[i] = vi
        p[i] -= step * mi / (np.sqrt(vi) * root_bc2 + eps)
