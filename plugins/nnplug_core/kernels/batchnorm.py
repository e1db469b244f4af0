"""``batchnorm``: training-mode statistics in two passes -- the mean, then the mean square
of the centred values (float64 totals of float32 blocks: one-pass E[x^2] - E[x]^2 in
float32 is wrong by 2x at mean 1e3) -- then ``xhat`` and y = act(gamma xhat + beta).
``scalars`` = (momentum, eps); ``state`` = (running_mean, running_var); ``work`` =
(xhat, inv_std). The statistics and the normalisation are :mod:`nnplug_numba.fused`'s
routines, which the numba backend's per-op BatchNorm calls too."""

import numpy as np

from nnplug_numba.fused import eval_backward, eval_forward, train_backward, train_forward
from nnplug_numba.toolkit import as_dtype, cached_kernel


@cached_kernel
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


@cached_kernel
def backward(x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx, step):
    """Training mode through the batch statistics; eval mode with the running ones as
    constants (what input gradients of a trained model run). ``dx`` is scratch for the
    activation's gradient when not needed, so it is always written."""
    gamma, _ = params
    dgamma, dbeta = grads
    if not training:
        running_mean, running_var = state
        eval_backward(
            dy, y, x, gamma, running_mean, running_var, scalars[1], dgamma, dbeta, dx, act
        )
        return
    xhat, inv_std = work
    train_backward(dy, y, xhat, inv_std, gamma, dgamma, dbeta, dx, act)
