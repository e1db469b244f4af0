"""``batchnorm``: training-mode statistics in two passes -- the mean, then the mean square
of the centred values (float64 totals of float32 blocks: one-pass E[x^2] - E[x]^2 in
float32 is wrong by 2x at mean 1e3) -- then ``xhat`` and y = act(gamma xhat + beta).
``scalars`` = (momentum, eps); ``state`` = (running_mean, running_var); ``work`` =
(xhat, inv_std). The per-op numba backend calls the same functions below."""

import math

import numpy as np

from nnplug_numba.toolkit import (
    activation_grad,
    apply_activation,
    as_dtype,
    cached_kernel,
    column_dot,
    column_sum,
    kernel,
)


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


@kernel
def forward(x, y, params, state, work, scalars, act, training, step):
    gamma, beta = params
    running_mean, running_var = state
    xhat, inv_std = work
    momentum, eps = scalars[0], scalars[1]
    if not training:
        eval_forward(x, gamma, beta, running_mean, running_var, eps, act, y)
        return
    n, m = x.shape
    mean = np.empty(m, x.dtype)
    var = np.empty(m, x.dtype)
    train_forward(x, gamma, beta, eps, act, y, xhat, mean, var, inv_std)
    keep, mom = as_dtype(x, 1.0 - momentum), as_dtype(x, momentum)
    unbiased = as_dtype(x, momentum * n / (n - 1))  # as PyTorch does
    for j in range(m):
        running_mean[j] = running_mean[j] * keep + mom * mean[j]
        running_var[j] = running_var[j] * keep + unbiased * var[j]


@kernel
def backward(x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx, step):
    """Training mode (the compiled path differentiates training steps only)."""
    gamma, _ = params
    dgamma, dbeta = grads
    xhat, inv_std = work
    train_backward(dy, y, xhat, inv_std, gamma, dgamma, dbeta, dx, act)
