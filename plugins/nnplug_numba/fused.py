"""The numerical routines of nnplug's built-in maths, compiled: what the numba backend's
per-op ops call one at a time, and what the built-in components' kernels
(``nnplug_core.kernels``) call inside the compiled training driver -- one implementation of
each: bias + activation, activation gradients, BatchNorm's statistics (two passes, float64
totals of float32 blocks), the dropout mask, softmax cross-entropy and MSE with their
gradients, and the optimizer updates (no fast-math: NumPy's roundings).

A documented helper, like :mod:`nnplug_numba.toolkit`: a plugin's kernels may call these
too. Importing this module imports numba.
"""

import math

import numpy as np

from .toolkit import (
    activation_grad,
    apply_activation,
    as_dtype,
    bias_activation,
    cached_exact_kernel,
    cached_kernel,
    column_dot,
    column_sum,
    copy,
    dropout_key,
    dropout_threshold,
    hash32,
)

_M32 = np.uint64(0xFFFFFFFF)


# -- dense -----------------------------------------------------------------------------------
@cached_kernel
def add_bias_activation(z, b, act):
    """z = act(z + b) in place (``b`` empty: no bias)."""
    bias_activation(z, b, act)


@cached_kernel
def activation_backward_sum(y, dy, dz, db, act, want_db):
    """dz = dy act'(y); db = column sums of dz when ``want_db``."""
    activation_grad(y, dy, dz, act)
    if want_db:
        column_sum(dz, db)


# -- element-wise activations ------------------------------------------------------------------
@cached_kernel
def apply(x, y, code):
    """y = act(x) (the per-op numba backend's entry point)."""
    copy(x, y)
    apply_activation(y, code)


@cached_kernel
def grad(y, dy, out, code):
    """out = dy act'(y)."""
    activation_grad(y, dy, out, code)


# -- batch normalisation -----------------------------------------------------------------------
@cached_kernel
def train_forward(x, gamma, beta, eps, code, y, xhat, mean, var, inv_std):
    """Batch statistics of ``x`` into mean/var/inv_std; xhat; y = act(gamma xhat + beta)."""
    n, m = x.shape
    column_sum(x, mean)
    inv_n = as_dtype(x, 1.0 / n)
    for j in range(m):
        mean[j] *= inv_n
    for i in range(n):
        for j in range(m):
            xhat[i, j] = x[i, j] - mean[j]
    column_dot(xhat, xhat, var)
    for j in range(m):
        var[j] *= inv_n
        inv_std[j] = 1.0 / math.sqrt(var[j] + eps)
    for i in range(n):
        for j in range(m):
            h = xhat[i, j] * inv_std[j]
            xhat[i, j] = h
            y[i, j] = h * gamma[j] + beta[j]
    apply_activation(y, code)


@cached_kernel
def eval_forward(x, gamma, beta, mean, var, eps, code, y):
    """y = act((x - mean) gamma / sqrt(var + eps) + beta)."""
    n, m = x.shape
    scale = np.empty(m, x.dtype)
    for j in range(m):
        scale[j] = gamma[j] / math.sqrt(var[j] + eps)
    for i in range(n):
        for j in range(m):
            y[i, j] = (x[i, j] - mean[j]) * scale[j] + beta[j]
    apply_activation(y, code)


@cached_kernel
def eval_backward(dy, y, x, gamma, mean, var, eps, dgamma, dbeta, dx, code):
    """Eval mode (the running statistics are constants), g = dy act'(y) (into dx):
    dbeta = sum g; dgamma = sum g (x - mean) / sqrt(var + eps); dx = g gamma / sqrt(var +
    eps)."""
    n, m = dy.shape
    activation_grad(y, dy, dx, code)
    column_sum(dx, dbeta)
    inv = np.empty(m, dy.dtype)
    for j in range(m):
        inv[j] = 1.0 / math.sqrt(var[j] + eps)
    total = np.zeros(m, np.float64)
    for i in range(n):
        for j in range(m):
            total[j] += dx[i, j] * (x[i, j] - mean[j]) * inv[j]
    for j in range(m):
        dgamma[j] = total[j]
    for i in range(n):
        for j in range(m):
            dx[i, j] = dx[i, j] * gamma[j] * inv[j]


@cached_kernel
def train_backward(dy, y, xhat, inv_std, gamma, dgamma, dbeta, dx, code):
    """g = dy act'(y) (into dx); dbeta = sum g; dgamma = sum g xhat;
    dx = gamma inv_std / N (N g - dbeta - xhat dgamma)."""
    n, m = dy.shape
    activation_grad(y, dy, dx, code)
    column_sum(dx, dbeta)
    column_dot(dx, xhat, dgamma)
    k = np.empty(m, dy.dtype)
    for j in range(m):
        k[j] = gamma[j] * inv_std[j] / n
    nn = as_dtype(dy, n)
    for i in range(n):
        for j in range(m):
            dx[i, j] = (dx[i, j] * nn - dbeta[j] - xhat[i, j] * dgamma[j]) * k[j]


# -- dropout -----------------------------------------------------------------------------------
@cached_kernel
def fill_mask(mask, p, seed, step):
    """mask = 1/(1-p) where a unit is kept at ``step``, else 0 (2-d, C order)."""
    n, m = mask.shape
    key = dropout_key(np.uint64(seed), step)
    threshold = dropout_threshold(p)
    keep, zero = as_dtype(mask, 1.0 / (1.0 - p)), as_dtype(mask, 0)
    for i in range(n):
        for j in range(m):
            h = hash32((key + np.uint64(i * m + j)) & _M32)
            mask[i, j] = keep if h >= threshold else zero


# -- losses ------------------------------------------------------------------------------------
@cached_kernel
def _exp_shifted(z, e):
    """e = exp(z - max(z)) for one row; returns (max, sum of e)."""
    mx = z[0]
    for j in range(1, z.shape[0]):
        mx = max(mx, z[j])
    s = 0.0
    for j in range(z.shape[0]):
        v = math.exp(z[j] - mx)
        e[j] = v
        s += v
    return mx, s


@cached_kernel
def softmax_ce(out, target, grad, scalars):
    """mean(logsumexp(z) - z[label]); grad = (softmax(z) - onehot) / N.
    A label outside ``[0, k)`` makes the loss NaN (the caller reports it)."""
    n, k = out.shape
    total = 0.0
    inv_n = as_dtype(grad, 1.0 / n)
    for i in range(n):
        t = target[i]
        if t < 0 or t >= k:
            return np.nan
        mx, s = _exp_shifted(out[i], grad[i])
        total += math.log(s) - (out[i, t] - mx)
        r = as_dtype(grad, 1.0 / s) * inv_n
        for j in range(k):
            grad[i, j] *= r
        grad[i, t] -= inv_n
    return total / n


@cached_kernel
def mse(out, target, grad, scalars):
    """mean((out - target)^2) over all elements; grad = 2 (out - target) / size."""
    n, k = out.shape
    total = 0.0
    c = as_dtype(grad, 2.0 / (n * k))
    for i in range(n):
        for j in range(k):
            d = out[i, j] - target[i, j]
            total += d * d
            grad[i, j] = d * c
    return total / (n * k)


@cached_kernel
def softmax(out, probs):
    """probs = softmax(out) row by row (for predictions)."""
    n, k = out.shape
    for i in range(n):
        _, s = _exp_shifted(out[i], probs[i])
        r = as_dtype(probs, 1.0 / s)
        for j in range(k):
            probs[i, j] *= r


# -- optimizer updates over flat views (the NumPy reference's arithmetic) ----------------------
@cached_exact_kernel
def sgd(p, g, slots, scalars, lr, wd, t):
    """p -= lr (g + wd p)."""
    lr_, wd_ = as_dtype(p, lr), as_dtype(p, wd)
    for i in range(p.size):
        p[i] -= lr_ * (g[i] + wd_ * p[i])


@cached_exact_kernel
def momentum(p, g, slots, scalars, lr, wd, t):
    """v = mu v + (g + wd p); p -= lr v, or Nesterov (scalars[1] = 1): p -= lr (g + wd p
    + mu v)."""
    (v,) = slots
    lr_, wd_, mu = as_dtype(p, lr), as_dtype(p, wd), as_dtype(p, scalars[0])
    nesterov = scalars[1] != 0.0
    a = as_dtype(p, 1.0 if nesterov else 0.0)  # weight of g in the step
    b = mu if nesterov else as_dtype(p, 1.0)  # weight of v in the step
    for i in range(p.size):
        gi = g[i] + wd_ * p[i]
        vi = v[i] * mu + gi
        v[i] = vi
        p[i] -= lr_ * (a * gi + b * vi)


@cached_exact_kernel
def adam(p, g, slots, scalars, lr, wd, t):
    """Adam as PyTorch computes it; scalars = (beta1, beta2, eps, decoupled). Decoupled
    (AdamW): p *= 1 - lr wd first; else wd p is added to g (L2)."""
    m, v = slots
    b1, b2, eps = scalars[0], scalars[1], scalars[2]
    decoupled = scalars[3] != 0.0
    b1_, b2_ = as_dtype(p, b1), as_dtype(p, b2)
    c1, c2 = as_dtype(p, 1.0 - b1), as_dtype(p, 1.0 - b2)
    step = as_dtype(p, lr / (1.0 - b1**t))
    root = as_dtype(p, np.sqrt(1.0 - b2**t))
    eps_ = as_dtype(p, eps)
    shrink = as_dtype(p, 1.0 - lr * wd if decoupled else 1.0)
    l2 = as_dtype(p, 0.0 if decoupled else wd)
    for i in range(p.size):
        pi = p[i] * shrink
        gi = g[i] + l2 * pi
        mi = m[i] * b1_ + c1 * gi
        vi = v[i] * b2_ + c2 * (gi * gi)
        m[i] = mi
        v[i] = vi
        p[i] = pi - step * mi / (np.sqrt(vi) / root + eps_)
