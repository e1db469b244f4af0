"""What a kernel author needs: the ``kernel`` decorator, BLAS ``gemm``, built-in
activations, column sums and the dropout hash -- all jitted, all dtype-preserving.

A plugin's kernel module (see :mod:`nnplug.kernels` for the signatures) does::

    from nnplug_numba.toolkit import kernel, gemm, apply_activation

    @kernel
    def forward(x, y, params, state, work, scalars, act, training, step): ...

Importing this module imports numba: only kernel modules (loaded when a backend
compiles) may import it, never a plugin's ``plugin.py`` or layer module.

Numerics: element-wise math stays in the array dtype (constants through :func:`as_dtype`:
a Python ``1`` would promote every float32 element to float64, 2-3x slower); sums over
the batch add blocks of :data:`BLOCK` rows in the dtype and join them in float64.
No ``parallel=True``: BLAS owns the threads (the README's thread policy).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import config, njit, types
from numba.extending import intrinsic as _intrinsic

from nnplug_numba.blas import gemm
from nnplug_numba.fastmath import fast_erf, fast_exp, fast_gelu, fast_sigmoid, fast_tanh
from nnplug_numba.jit import CACHE
from nnplug_numba.views import flat

#: numba's stubs give an intrinsic the signature of its typing function, the typing
#: context included, which compiled callers do not pass: typed as returning Any here
intrinsic: Callable[..., Any] = _intrinsic

#: fastmath without ``nnan``/``ninf``: NaN/inf still propagate (a diverging run must show it)
FLAGS = {"nsz", "arcp", "contract", "afn", "reassoc"}
#: the decorator for kernels: serial, releases the GIL. Not cached on its own: a kernel
#: is compiled into the training driver, which is cached whole (a separately cached
#: kernel would cost a second machine-code generation)
kernel = njit(fastmath=FLAGS, nogil=True, error_model="numpy")
#: the same without fast-math, for updates that must equal NumPy's arithmetic
exact_kernel = njit(nogil=True, error_model="numpy")
#: for an activation's scalar functions (``nnplug.kernels.ActivationKernels``): inlined
#: into the fused loop of the layer that absorbs the activation, so LLVM can vectorise it
elementwise = njit(inline="always", fastmath=FLAGS, error_model="numpy")
#: for kernels also called from Python one op at a time (the per-op numba backend):
#: cached on disk so a new process does not compile them again
cached_kernel = njit(cache=CACHE, fastmath=FLAGS, nogil=True, error_model="numpy")
cached_exact_kernel = njit(cache=CACHE, nogil=True, error_model="numpy")
#: rows summed in the array dtype before joining the float64 totals
BLOCK = 8

__all__ = [
    "BLOCK",
    "FLAGS",
    "activation_grad",
    "apply_activation",
    "as_dtype",
    "bias_activation",
    "cached_exact_kernel",
    "cached_kernel",
    "column_dot",
    "column_sum",
    "copy",
    "dropout_key",
    "dropout_threshold",
    "elementwise",
    "exact_kernel",
    "fast_erf",
    "fast_exp",
    "fast_gelu",
    "fast_sigmoid",
    "fast_tanh",
    "flat",
    "gemm",
    "hash32",
    "kernel",
    "like",
]


@intrinsic
def as_dtype(typingctx, like, v):
    """``v`` converted to the dtype of array ``like`` (free: a cast, no allocation)."""
    if not isinstance(like, types.Array) or not isinstance(v, (types.Number, types.Boolean)):
        return None

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[1], sig.args[1], like.dtype)

    return like.dtype(like, v), codegen


@intrinsic
def like(typingctx, x, v):
    """``v`` converted to the type of the scalar ``x`` (a float64 scalar multiplied into a
    float32 value would make it float64): for ``elementwise`` functions."""
    if not isinstance(x, (types.Float, types.Integer)) or not isinstance(
        v, (types.Number, types.Boolean)
    ):
        return None

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[1], sig.args[1], x)

    return x(x, v), codegen


@cached_kernel
def copy(src, dst):
    """dst[...] = src for C-contiguous arrays of one shape (a plain loop: slice assignment
    compiles numba's whole broadcasting machinery into the caller)."""
    s, d = flat(src), flat(dst)
    for i in range(s.size):
        d[i] = s[i]


@njit(inline="always")
def _relu(v, zero):
    return v if (v > zero or v != v) else zero  # v != v keeps NaN


@njit(inline="always")
def _sigmoid(v, one):
    if v >= 0:
        return one / (one + math.exp(-v))
    e = math.exp(v)
    return e / (one + e)


@cached_kernel
def apply_activation(y, code):
    """y = act(y) in place on a C-contiguous array (code 0 none, 1 relu, 2 sigmoid,
    3 tanh). The branch sits outside the loops so LLVM vectorises them."""
    v = flat(y)
    zero, one = as_dtype(y, 0), as_dtype(y, 1)
    if code == 1:
        for i in range(v.size):
            v[i] = _relu(v[i], zero)
    elif code == 2:
        for i in range(v.size):
            v[i] = _sigmoid(v[i], one)
    elif code == 3:
        for i in range(v.size):
            v[i] = math.tanh(v[i])


@cached_kernel
def bias_activation(z, b, code):
    """z = act(z + b) in place (``b`` empty: no bias); relu/identity in one pass."""
    n, m = z.shape
    zero = as_dtype(z, 0)
    if b.size == 0:
        apply_activation(z, code)
    elif code == 1:
        for i in range(n):
            for j in range(m):
                z[i, j] = _relu(z[i, j] + b[j], zero)
    else:
        for i in range(n):
            for j in range(m):
                z[i, j] += b[j]
        apply_activation(z, code)


@cached_kernel
def activation_grad(y, dy, out, code):
    """out = dy * act'(x), written through y = act(x) (``out`` may be ``dy``)."""
    yv, g, o = flat(y), flat(dy), flat(out)
    zero, one = as_dtype(y, 0), as_dtype(y, 1)
    if code == 1:
        for i in range(yv.size):
            o[i] = g[i] if yv[i] > zero else g[i] * zero
    elif code == 2:
        for i in range(yv.size):
            o[i] = g[i] * yv[i] * (one - yv[i])
    elif code == 3:
        for i in range(yv.size):
            o[i] = g[i] * (one - yv[i] * yv[i])
    else:
        for i in range(yv.size):
            o[i] = g[i]


@cached_kernel
def column_dot(a, b, out):
    """out[j] = sum_i a[i, j] b[i, j], blocks of BLOCK rows in the dtype joined in
    float64 (a long float32 sum drifts; float64 everywhere would halve the speed)."""
    n, m = a.shape
    total = np.zeros(m, np.float64)
    part = np.zeros(m, a.dtype)
    for i in range(n):
        for j in range(m):
            part[j] += a[i, j] * b[i, j]
        if (i + 1) % BLOCK == 0 or i == n - 1:
            for j in range(m):
                total[j] += part[j]
                part[j] = 0
    for j in range(m):
        out[j] = total[j]


@cached_kernel
def column_sum(a, out):
    """out = a.sum(axis=0), summed like :func:`column_dot`."""
    n, m = a.shape
    total = np.zeros(m, np.float64)
    part = np.zeros(m, a.dtype)
    for i in range(n):
        for j in range(m):
            part[j] += a[i, j]
        if (i + 1) % BLOCK == 0 or i == n - 1:
            for j in range(m):
                total[j] += part[j]
                part[j] = 0
    for j in range(m):
        out[j] = total[j]


# -- the dropout hash: the twins of nnplug.counter_rng (uint32 arithmetic, wrapping) --------
_M32 = np.uint64(0xFFFFFFFF)


@njit(inline="always")
def hash32(x):
    """lowbias32 of a uint32-valued integer; returns a uint32-valued uint64."""
    x = np.uint64(x) & _M32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & _M32
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & _M32
    return x ^ (x >> np.uint64(16))


@njit(inline="always")
def dropout_key(seed, step):
    """hash32(seed + hash32(step)), both mod 2^32 (``nnplug.counter_rng.dropout_key``)."""
    return hash32((np.uint64(seed) + hash32(np.uint64(step) & _M32)) & _M32)


@njit(inline="always")
def dropout_threshold(p):
    """Units whose hash is below ``p * 2^32`` are dropped."""
    return np.uint64(min(p * 4294967296.0, 4294967295.0))


# NUMBA_DISABLE_JIT=1: kernels run as Python; so does this (numba.config's settings are
# module attributes set at import, unknown to mypy)
if config.DISABLE_JIT:  # type: ignore[attr-defined]

    def as_dtype(like, v):
        return like.dtype.type(v)

    def like(x, v):
        return type(x)(v)
