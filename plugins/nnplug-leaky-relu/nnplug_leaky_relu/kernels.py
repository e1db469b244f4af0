"""Compiled kernels of ``leaky_relu``, ``gelu`` and ``rmsprop`` for nnplug's numba backend, in the
signatures of ``nnplug.kernels``. This module imports numba: nnplug imports it only when
a backend compiles a training loop, never when the plugin is loaded."""

import numpy as np

from nnplug_numba.toolkit import as_dtype, elementwise, exact_kernel, fast_tanh, flat, kernel, like


@kernel
def leaky_relu_forward(x, y, params, state, work, scalars, act, training, step):
    """y = x if x > 0 else alpha x; ``scalars`` = (alpha,)."""
    alpha = as_dtype(x, scalars[0])
    xs, ys = flat(x), flat(y)
    for i in range(xs.size):
        ys[i] = xs[i] if xs[i] > 0 else xs[i] * alpha


@kernel
def leaky_relu_backward(
    x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx, step
):
    """dx = dy where x > 0, else alpha dy (no parameters, so nothing else to fill)."""
    if need_dx:
        alpha = as_dtype(x, scalars[0])
        xs, g, out = flat(x), flat(dy), flat(dx)
        for i in range(xs.size):
            out[i] = g[i] if xs[i] > 0 else g[i] * alpha


@elementwise
def leaky_relu_value(z, scalars):
    """a = z if z > 0 else alpha z, one element: fused into a preceding linear/batchnorm."""
    return z if z > 0 else z * like(z, scalars[0])


@elementwise
def leaky_relu_derivative(z, a, scalars):
    """da/dz = 1 if z > 0 else alpha."""
    return like(z, 1.0) if z > 0 else like(z, scalars[0])


@elementwise
def gelu_value(z, scalars):
    """x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) with the toolkit's fast_tanh."""
    t = fast_tanh(like(z, 0.7978845608028654) * (z + like(z, 0.044715) * z * z * z))
    return like(z, 0.5) * z * (like(z, 1.0) + t)


@elementwise
def gelu_derivative(z, a, scalars):
    """d gelu / dz = (1 + t)/2 + z (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 z^2) / 2."""
    c = like(z, 0.7978845608028654)
    t = fast_tanh(c * (z + like(z, 0.044715) * z * z * z))
    inner = c * (like(z, 1.0) + like(z, 3 * 0.044715) * z * z)
    return like(z, 0.5) * ((like(z, 1.0) + t) + z * (like(z, 1.0) - t * t) * inner)


@kernel
def gelu_forward(x, y, params, state, work, scalars, act, training, step):
    """y = gelu(x), element by element (when no linear/batchnorm absorbs it)."""
    xs, ys = flat(x), flat(y)
    for i in range(xs.size):
        ys[i] = gelu_value(xs[i], scalars)


@kernel
def gelu_backward(x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx, step):
    """dx = dy gelu'(x)."""
    if need_dx:
        xs, ys, g, out = flat(x), flat(y), flat(dy), flat(dx)
        for i in range(xs.size):
            out[i] = g[i] * gelu_derivative(xs[i], ys[i], scalars)


@exact_kernel
def rmsprop_update(p, g, slots, scalars, lr, wd, t):
    """v = rho v + (1 - rho) g^2; p -= lr g / (sqrt(v) + eps), g including wd p;
    ``scalars`` = (rho, eps); ``slots`` = (v,)."""
    (v,) = slots
    rho, eps = as_dtype(p, scalars[0]), as_dtype(p, scalars[1])
    keep, lr_, wd_ = as_dtype(p, 1.0 - scalars[0]), as_dtype(p, lr), as_dtype(p, wd)
    for i in range(p.size):
        gi = g[i] + wd_ * p[i]
        vi = v[i] * rho + keep * gi * gi
        v[i] = vi
        p[i] -= lr_ * gi / (np.sqrt(vi) + eps)
