"""``linear``: y = act(x W + b) -- one BLAS GEMM, then bias and activation in one pass."""

from nnplug_numba.toolkit import activation_grad, bias_activation, cached_kernel, column_sum, gemm


@cached_kernel
def forward(x, y, params, state, work, scalars, act, training, step):
    W, b = params
    gemm(x, W, y)
    bias_activation(y, b, act)


@cached_kernel
def backward(x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx, step):
    """dz = dy act'(y) (in dy); dW = x^T dz; db = sum(dz); dx = dz W^T."""
    W, _ = params
    dW, db = grads
    if act != 0:
        activation_grad(y, dy, dy, act)
    gemm(x, dy, dW, True, False)
    if db.size:
        column_sum(dy, db)
    if need_dx:
        gemm(dy, W, dx, False, True)


# -- entry points of the per-op numba backend (same math, called from Python) ---------------
