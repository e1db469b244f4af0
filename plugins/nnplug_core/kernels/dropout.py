"""``dropout``: the mask of unit i at step s is 1/(1-p) when
hash32(dropout_key(seed, s) + i) >= p 2^32, else 0 -- the NumPy reference's mask exactly.
``scalars`` = (p, seed)."""

from nnplug_numba.fused import fill_mask
from nnplug_numba.toolkit import cached_kernel, copy


@cached_kernel
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


@cached_kernel
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
