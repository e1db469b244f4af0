"""``dropout``: the mask of unit i at step s is 1/(1-p) when
hash32(dropout_key(seed, s) + i) >= p 2^32, else 0 -- the NumPy reference's mask exactly.
``scalars`` = (p, seed)."""

import numpy as np

from nnplug_numba.toolkit import (
    as_dtype,
    cached_kernel,
    copy,
    dropout_key,
    dropout_threshold,
    hash32,
    kernel,
)

_M32 = np.uint64(0xFFFFFFFF)


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


@kernel
def forward(x, y, params, state, work, scalars, act, training, step):
    p = scalars[0]
    if not training or p == 0.0:
        copy(x, y)
        return
    (mask,) = work
    fill_mask(mask, p, scalars[1], step)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[i, j] = x[i, j] * mask[i, j]


@kernel
def backward(x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx, step):
    if not need_dx:
        return
    if not training or scalars[0] == 0.0:
        copy(dy, dx)
        return
    (mask,) = work
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            dx[i, j] = dy[i, j] * mask[i, j]
