"""``batchnorm``: training-mode statistics in two passes (float64 totals of float32
blocks: one-pass E[x^2] - E[x]^2 in float32 is wrong by 2x at mean 1e3), then
``xhat`` and y = act(gamma xhat + beta) in one pass; backward in two passes.
``scalars`` = (momentum, eps); ``state`` = (running_mean, running_var); ``work`` =
(xhat, inv_std). The per-op numba backend calls the same functions below."""
import math

import numpy as np

from nnplug_numba.toolkit import BLOCK, activation_grad, apply_activation, as_dtype, cached_kernel, kernel


@cached_kernel
def train_forward(x, gamma, beta, eps, code, y, xhat, mean, var, inv_std):
    """Batch statistics of ``x`` into mean/var/inv_std; xhat; y = act(gamma xhat + beta)."""
    n, m = x.shape
    total = np.zeros(m, np.float64)
    part = np.zeros(m, x.dtype)
    for i in range(n):
        for j in range(m):
            part[j] += x[i, j]
        if (i + 1) % BLOCK == 0 or i == n - 1:
            for j in range(m):
                total[j] += part[j]
                part[j] = 0
    for j in range(m):
        mean[j] = total[j] / n
        total[j] = 0.0
    for i in range(n):
        for j in range(m):
            d = x[i, j] - mean[j]
            part[j] += d * d
        if (i + 1) % BLOCK == 0 or i == n - 1:
            for j in range(m):
                total[j] += part[j]
                part[j] = 0
    for j in range(m):
        var[j] = total[j] / n
        inv_std[j] = 1.0 / math.sqrt(total[j] / n + eps)
    for i in range(n):
        for j in range(m):
            h = (x[i, j] - mean[j]) * inv_std[j]
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
    sb = np.zeros(m, np.float64)
    sg = np.zeros(m, np.float64)
    pb = np.zeros(m, dy.dtype)
    pg = np.zeros(m, dy.dtype)
    for i in range(n):
        for j in range(m):
            g = dx[i, j]
            pb[j] += g
            pg[j] += g * xhat[i, j]
        if (i + 1) % BLOCK == 0 or i == n - 1:
            for j in range(m):
                sb[j] += pb[j]
                sg[j] += pg[j]
                pb[j] = 0
                pg[j] = 0
    k = np.empty(m, dy.dtype)
    for j in range(m):
        pb[j] = dbeta[j] = sb[j]
        pg[j] = dgamma[j] = sg[j]
        k[j] = gamma[j] * inv_std[j] / n
    nn = as_dtype(dy, n)
    for i in range(n):
        for j in range(m):
            dx[i, j] = (dx[i, j] * nn - pb[j] - xhat[i, j] * pg[j]) * k[j]


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
def backward(x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx,
             step):
    """Training mode (the compiled path differentiates training steps only)."""
    gamma, _ = params
    dgamma, dbeta = grads
    xhat, inv_std = work
    train_backward(dy, y, xhat, inv_std, gamma, dgamma, dbeta, dx, act)
