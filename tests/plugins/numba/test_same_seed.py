"""The same seed on both backends gives the same model, to a documented tolerance.

float32: test accuracy within 0.01 (digits has 359 test images: at most 3 differ), and
the first epoch's mean loss within rtol 1e-4 (the kernels agree to ~1e-6 per op; 45
steps of SGD carry that to ~1e-5). float64: the whole loss history agrees to rtol 1e-9,
the accuracies to one row.
"""
from builders import create
import numpy as np
import pytest

from nnplug.nn.training import TrainConfig, train

ACCURACY_TOLERANCE = 0.01


def run(backend, dtype, epochs):
    cfg = TrainConfig(backend=backend, dtype=dtype, epochs=epochs, seed=3)
    done = train(cfg)
    return {**done.metrics, "n_val": len(done.data.y_val), "n_test": len(done.data.y_test)}


@pytest.mark.usefixtures("pair")
def test_same_seed_same_accuracy_float32():
    a, b = run("numpy", "float32", 8), run("numba", "float32", 8)
    assert a["test_accuracy"] > 0.9 and b["test_accuracy"] > 0.9
    assert abs(a["test_accuracy"] - b["test_accuracy"]) <= ACCURACY_TOLERANCE
    np.testing.assert_allclose(b["history"][0]["loss"], a["history"][0]["loss"], rtol=1e-4)
    assert a["backend"] == "numpy" and b["backend"] == "numba"


@pytest.mark.usefixtures("pair")
def test_same_seed_same_trajectory_float64():
    a, b = run("numpy", "float64", 4), run("numba", "float64", 4)
    # accuracies are counts of argmaxes of logits that agree to ~1e-9 (the losses below):
    # a row whose top two logits are that close may flip, so one row of a split may differ
    for ra, rb in zip(a["history"], b["history"]):
        np.testing.assert_allclose(rb["loss"], ra["loss"], rtol=1e-9)
        assert abs(rb["val_metric"] - ra["val_metric"]) <= 1 / a["n_val"] + 1e-12
    assert abs(a["test_accuracy"] - b["test_accuracy"]) <= 1 / a["n_test"] + 1e-12


def test_sequential_fusion_is_the_same_math(backend):
    """Fused (layer + activation in one op) and unfused runs give the same gradients."""
    from nnplug.nn.sequential import Sequential
    from nnplug.registry import get_registry

    spec = "linear:6,relu,linear:5,sigmoid,linear:5,tanh,batchnorm,relu,batchnorm,tanh," \
           "linear:4,batchnorm,sigmoid"
    grads = []
    x = np.random.default_rng(0).standard_normal((9, 3))
    y = np.random.default_rng(1).integers(0, 3, 9)
    for fuse in (True, False):
        model = Sequential.from_spec(spec, 3, 3, rng=2, dtype=np.float64)
        model.fuse = fuse
        assert any(act for _, act in model.steps()) == fuse
        loss = create("loss", "softmax_ce")
        loss.forward(model.forward(x), y)
        dx = model.backward(loss.backward())
        grads.append([dx] + [p.grad.copy() for p in model.parameters()])
    for fused, plain in zip(*grads):
        np.testing.assert_allclose(fused, plain, rtol=1e-10, atol=1e-14)
