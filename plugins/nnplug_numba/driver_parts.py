"""Jitted pieces of the generated training driver (:mod:`nnplug_numba.codegen`): arena
views (inlined), the minibatch gather, targets and metrics (compiled and cached once, not
again inside every driver)."""

from __future__ import annotations

from numba import njit

from nnplug_numba.toolkit import as_dtype, cached_kernel
from nnplug_numba.views import view1, view2

#: input dtype codes: X arrives as its raw bytes (uint8 rows) so one compiled driver
#: serves uint8 images and float tables alike
X_CODES = {"uint8": 0, "float32": 1, "float64": 2}


@njit(inline="always")
def slot1(arena, offset, d0, rows):
    """A 1-d view of ``arena``; ``d0 == -1`` means ``rows`` long."""
    return view1(arena, offset, rows if d0 < 0 else d0)


@njit(inline="always")
def slot2(arena, offset, d0, d1, rows):
    """A C-contiguous (d0, d1) view of ``arena``; ``d0 == -1`` means ``rows`` rows."""
    return view2(arena, offset, rows if d0 < 0 else d0, d1)


@njit(inline="always")
def row_of(order, i):
    return order[i] if order.size else i


@cached_kernel
def gather(X, X32, X64, xcode, order, lo, x, scale):
    """x[i] = X[order[lo + i]] * scale in x's dtype (rows ``lo..`` when ``order`` is
    empty); ``X`` is uint8, ``X32``/``X64`` the same bytes seen as float32/float64."""
    n, m = x.shape
    s = as_dtype(x, scale)
    one = scale == 1.0
    for i in range(n):
        r = row_of(order, lo + i)
        if xcode == 0:
            for j in range(m):
                x[i, j] = as_dtype(x, X[r, j]) * s
        elif xcode == 1:
            for j in range(m):
                x[i, j] = X32[r, j] if one else as_dtype(x, X32[r, j]) * s
        else:
            for j in range(m):
                x[i, j] = X64[r, j] if one else as_dtype(x, X64[r, j]) * s


@cached_kernel
def gather_labels(Y, order, lo, out):
    for i in range(out.shape[0]):
        out[i] = Y[row_of(order, lo + i)]


@cached_kernel
def gather_values(Y, order, lo, out):
    for i in range(out.shape[0]):
        r = row_of(order, lo + i)
        for j in range(out.shape[1]):
            out[i, j] = Y[r, j]


@cached_kernel
def correct(z, labels):
    """How many rows have their label as the (first) largest output."""
    hits = 0
    for i in range(z.shape[0]):
        best = 0
        for j in range(1, z.shape[1]):
            if z[i, j] > z[i, best]:
                best = j
        hits += best == labels[i]
    return hits


@cached_kernel
def squared_error(z, target, weights):
    """Sum over rows of the mean over outputs of weights_j (z - target)^2, in float64
    (``weights``: the squared target scales, so standardised errors come out in the
    target's own units)."""
    total = 0.0
    k = z.shape[1]
    for i in range(z.shape[0]):
        row = 0.0
        for j in range(k):
            d = float(z[i, j]) - float(target[i, j])
            row += weights[j] * d * d
        total += row / k
    return total
