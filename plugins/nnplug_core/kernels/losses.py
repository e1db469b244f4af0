"""``softmax_ce`` and ``mse``: the mean loss, and grad = d loss / d out, in one pass."""

import math

import numpy as np

from nnplug_numba.toolkit import as_dtype, cached_kernel, kernel


@kernel
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
