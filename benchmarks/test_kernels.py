"""Per-op kernel benchmarks, float32, batch 32/128/256/512 x width 256/1024, per backend.

Each benchmark's group is "<op> <batch>x<width>" so pytest-benchmark's table and
``compare.py`` put the backends side by side. Outputs and workspaces are preallocated
(``out=``, ``y=``, ``dx=``...) as in training; ``softmax_cross_entropy`` and ``mse``
return fresh arrays by design. Timing is never asserted.
"""
import numpy as np
import pytest

BATCHES = [32, 128, 256, 512]
WIDTHS = [256, 1024]
SHAPES = [(b, w) for b in BATCHES for w in WIDTHS]
F32 = np.float32
shape_id = {"ids": lambda s: f"{s[0]}x{s[1]}"}


def _run(benchmark, backend, group, fn):
    benchmark.group = group
    benchmark.extra_info["backend"] = backend.name
    fn()  # warm-up: compiles numba kernels for this dtype/layout
    benchmark(fn)


@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("shape", SHAPES, **shape_id)
def test_activation_forward(benchmark, backend, rng, kind, shape):
    x = rng.standard_normal(shape).astype(F32)
    out = np.empty_like(x)
    _run(benchmark, backend, f"{kind} fwd {shape[0]}x{shape[1]}",
         lambda: backend.activation_forward(kind, x, out=out))


@pytest.mark.parametrize("kind", ["relu", "tanh"])
@pytest.mark.parametrize("shape", SHAPES, **shape_id)
def test_activation_backward(benchmark, backend, rng, kind, shape):
    y = np.tanh(rng.standard_normal(shape)).astype(F32)
    dy = rng.standard_normal(shape).astype(F32)
    out = np.empty_like(dy)
    _run(benchmark, backend, f"{kind} bwd {shape[0]}x{shape[1]}",
         lambda: backend.activation_backward(kind, y, dy, out=out))


@pytest.mark.parametrize("shape", SHAPES, **shape_id)
def test_linear_relu_forward_backward(benchmark, backend, rng, shape):
    """x W + b, ReLU, then its backward (dW, db, dx): the GEMMs plus the fused rest, with
    the BLAS threads nnplug's policy gives this shape (all cores spin-wait on a busy
    machine and collapse: see nnplug.runtime.threads)."""
    from nnplug.runtime import threads

    batch, width = shape
    n_threads = threads.choose([width, width], batch)
    benchmark.extra_info["threads"] = n_threads
    x = rng.standard_normal(shape).astype(F32)
    W = (rng.standard_normal((width, width)) * 0.05).astype(F32)
    b = np.zeros(width, F32)
    dy = rng.standard_normal(shape).astype(F32)
    y, dz, dx = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    dW, db = np.empty_like(W), np.empty_like(b)

    def step():
        backend.linear_forward(x, W, b, "relu", out=y)
        backend.linear_backward(x, W, y, dy, dW, db, "relu", dz=dz, dx=dx)

    with threads.limit(n_threads):
        _run(benchmark, backend, f"linear+relu fwd+bwd {batch}x{width}x{width}", step)


@pytest.mark.parametrize("act", [None, "relu"], ids=["plain", "relu"])
@pytest.mark.parametrize("shape", SHAPES, **shape_id)
def test_batchnorm_forward_backward(benchmark, backend, rng, act, shape):
    """Training-mode BatchNorm (+ fused ReLU) forward then backward, as in S0/W1/W2."""
    x = (rng.standard_normal(shape) * 2 + 1).astype(F32)
    dy = rng.standard_normal(shape).astype(F32)
    gamma, beta = np.ones(shape[1], F32), np.zeros(shape[1], F32)
    dgamma, dbeta = np.empty_like(gamma), np.empty_like(beta)
    y, xhat, dx = np.empty_like(x), np.empty_like(x), np.empty_like(x)

    def step():
        out, xh, inv_std, _, _ = backend.batchnorm_forward_train(x, gamma, beta, 1e-5, act,
                                                                 y=y, xhat=xhat)
        backend.batchnorm_backward(dy, out, xh, inv_std, gamma, dgamma, dbeta, act, dx=dx)

    _run(benchmark, backend, f"batchnorm{'+' + act if act else ''} fwd+bwd "
         f"{shape[0]}x{shape[1]}", step)


@pytest.mark.parametrize("shape", SHAPES, **shape_id)
def test_batchnorm_eval(benchmark, backend, rng, shape):
    """Eval-mode BatchNorm + ReLU (validation and prediction)."""
    x = rng.standard_normal(shape).astype(F32)
    gamma, beta = np.ones(shape[1], F32), np.zeros(shape[1], F32)
    mean, var = np.zeros(shape[1], F32), np.ones(shape[1], F32)
    out = np.empty_like(x)
    _run(benchmark, backend, f"batchnorm+relu eval {shape[0]}x{shape[1]}",
         lambda: backend.batchnorm_forward_eval(x, gamma, beta, mean, var, 1e-5, "relu",
                                                out=out))


@pytest.mark.parametrize("shape", SHAPES, **shape_id)
def test_dropout_mask(benchmark, backend, shape):
    out = np.empty(shape, F32)
    _run(benchmark, backend, f"dropout mask {shape[0]}x{shape[1]}",
         lambda: backend.dropout_mask(shape, 0.2, 42, 7, F32, out=out))


@pytest.mark.parametrize("batch", BATCHES)
def test_softmax_cross_entropy(benchmark, backend, rng, batch):
    """Softmax cross-entropy loss + gradient, 10 classes (the S0/W1/W2 head)."""
    logits = (rng.standard_normal((batch, 10)) * 3).astype(F32)
    labels = rng.integers(0, 10, batch)
    _run(benchmark, backend, f"softmax_cross_entropy {batch}x10",
         lambda: backend.softmax_cross_entropy(logits, labels))


@pytest.mark.parametrize("batch", BATCHES)
def test_mse(benchmark, backend, rng, batch):
    """MSE loss + gradient on one output (the R1 head)."""
    pred = rng.standard_normal((batch, 1)).astype(F32)
    target = rng.standard_normal(batch).astype(F32)
    _run(benchmark, backend, f"mse {batch}x1", lambda: backend.mse(pred, target))


@pytest.mark.parametrize("opt", ["sgd", "momentum", "nesterov", "adam"])
@pytest.mark.parametrize("width", WIDTHS)
def test_optimizer_update(benchmark, backend, rng, opt, width):
    """One in-place update of a 784 x width weight matrix (weight decay on)."""
    p = (rng.standard_normal((784, width)) * 0.05).astype(F32)
    g = (rng.standard_normal((784, width)) * 0.01).astype(F32)
    m, v = np.zeros_like(p), np.zeros_like(p)
    updates = {
        "sgd": lambda: backend.sgd_update(p, g, 1e-3, 1e-4),
        "momentum": lambda: backend.momentum_update(p, g, v, 1e-3, 0.9, 1e-4, False),
        "nesterov": lambda: backend.momentum_update(p, g, v, 1e-3, 0.9, 1e-4, True),
        "adam": lambda: backend.adam_update(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 10, 1e-4),
    }
    _run(benchmark, backend, f"{opt} update 784x{width}", updates[opt])
