"""Per-op kernel benchmarks, float32, batch 32/128/256/512 x width 256/1024, per backend.

Each benchmark's group is "<op> <batch>x<width>" so pytest-benchmark's table and
``compare.py`` put the backends side by side. Results go to the JSON pytest-benchmark
writes (``--benchmark-json``); timing is never asserted.
"""
import numpy as np
import pytest

BATCHES = [32, 128, 256, 512]
WIDTHS = [256, 1024]
SHAPES = [(b, w) for b in BATCHES for w in WIDTHS]
F32 = np.float32


def _run(benchmark, backend, group, fn):
    benchmark.group = group
    benchmark.extra_info["backend"] = backend.name
    fn()  # warm-up: compiles numba kernels for this dtype/layout
    benchmark(fn)


@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_bias_act_forward(benchmark, backend, rng, kind, shape):
    z = rng.standard_normal(shape).astype(F32)
    b = rng.standard_normal(shape[1]).astype(F32)
    _run(benchmark, backend, f"bias+{kind} fwd {shape[0]}x{shape[1]}",
         lambda: backend.bias_act(kind, z, b))


@pytest.mark.parametrize("kind", ["relu", "tanh"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_bias_act_backward(benchmark, backend, rng, kind, shape):
    y = np.tanh(rng.standard_normal(shape)).astype(F32)
    dy = rng.standard_normal(shape).astype(F32)
    db = np.empty(shape[1], F32)
    out = np.empty_like(dy)
    _run(benchmark, backend, f"bias+{kind} bwd {shape[0]}x{shape[1]}",
         lambda: backend.bias_act_backward(kind, y, dy, db, out=out))


@pytest.mark.parametrize("kind", [None, "relu"], ids=["plain", "relu"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_batchnorm_forward_backward(benchmark, backend, rng, kind, shape):
    """Training-mode BatchNorm (+ fused ReLU) forward then backward, as in W1/W2."""
    x = (rng.standard_normal(shape) * 2 + 1).astype(F32)
    dy = rng.standard_normal(shape).astype(F32)
    gamma, beta = np.ones(shape[1], F32), np.zeros(shape[1], F32)
    dgamma, dbeta = np.empty_like(gamma), np.empty_like(beta)
    y, xhat, dx = np.empty_like(x), np.empty_like(x), np.empty_like(x)

    def step():
        out, xh, inv_std, _, _ = backend.batchnorm_act_forward_train(x, gamma, beta, 1e-5,
                                                                     kind, y=y, xhat=xhat)
        backend.batchnorm_act_backward(dy, out, xh, inv_std, gamma, dgamma, dbeta, kind,
                                       dx=dx)

    _run(benchmark, backend, f"batchnorm{'+' + kind if kind else ''} fwd+bwd "
         f"{shape[0]}x{shape[1]}", step)


@pytest.mark.parametrize("batch", BATCHES)
def test_softmax_ce(benchmark, backend, rng, batch):
    """Fused softmax cross-entropy forward + gradient, 10 classes (the W1/W2 head)."""
    logits = (rng.standard_normal((batch, 10)) * 3).astype(F32)
    labels = rng.integers(0, 10, batch)
    _run(benchmark, backend, f"softmax_ce {batch}x10",
         lambda: backend.softmax_ce(logits, labels))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_mse(benchmark, backend, rng, shape):
    pred = rng.standard_normal(shape).astype(F32)
    target = rng.standard_normal(shape).astype(F32)
    _run(benchmark, backend, f"mse {shape[0]}x{shape[1]}", lambda: backend.mse(pred, target))


@pytest.mark.parametrize("opt", ["sgd", "momentum", "nesterov", "adam"])
@pytest.mark.parametrize("width", WIDTHS)
def test_optimizer_step(benchmark, backend, rng, opt, width):
    """One in-place update of a 784 x width weight matrix (weight decay on)."""
    p = (rng.standard_normal((784, width)) * 0.05).astype(F32)
    g = (rng.standard_normal((784, width)) * 0.01).astype(F32)
    m, v = np.zeros_like(p), np.zeros_like(p)
    steps = {
        "sgd": lambda: backend.sgd_step(p, g, 1e-3, 1e-4),
        "momentum": lambda: backend.momentum_step(p, g, v, 1e-3, 0.9, 1e-4, False),
        "nesterov": lambda: backend.momentum_step(p, g, v, 1e-3, 0.9, 1e-4, True),
        "adam": lambda: backend.adam_step(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 10, 1e-4),
    }
    _run(benchmark, backend, f"{opt} step 784x{width}", steps[opt])
