"""``sgd``, ``momentum``/``nesterov``, ``adam``/``adamw`` updates over flat views, with
the NumPy reference's arithmetic (no fast-math: the same roundings). ``wd`` is 0 for
parameters without weight decay (biases, BatchNorm). The loops have no branches (the
variants are coefficients of 0 or 1, exact in floating point): one vectorised loop each.
"""

import numpy as np

from nnplug_numba.toolkit import as_dtype, cached_exact_kernel


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
