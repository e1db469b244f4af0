"""float64 central-difference checks of every built-in backward pass."""
import numpy as np
from builders import create
import pytest

from nnplug.testing.gradcheck import check_layer, check_loss, rel_error
from nnplug.nn.sequential import Sequential

LAYERS = [
    ("linear", {"units": 3}),
    ("linear", {"units": 3, "bias": False}),
    ("relu", {}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("batchnorm", {}),
    ("dropout", {"p": 0.3}),
]


@pytest.mark.parametrize("name,options", LAYERS, ids=lambda v: str(v))
def test_layer_gradients(backend, registry, name, options):
    layer = create("layer", name, **options)
    result = check_layer(layer, in_features=6, batch=5)
    assert set(result.errors) == {"input", *layer.params}
    assert result.passed, result.errors


def test_batchnorm_gradients_in_train_mode_use_batch_statistics(backend, registry):
    layer = create("layer", "batchnorm")
    result = check_layer(layer, in_features=4, batch=8, training=True)
    assert result.passed, result.errors
    assert result.errors["gamma"] < 1e-6 and result.errors["beta"] < 1e-6


@pytest.mark.parametrize("name", ["softmax_ce", "mse"])
def test_loss_gradients(backend, registry, name):
    result = check_loss(create("loss", name))
    assert result.passed, result.errors


def test_gradcheck_catches_a_wrong_backward(registry):
    """The checker itself must be able to fail."""
    layer = create("layer", "tanh")
    real_backward = layer.backward
    layer.backward = lambda dy: real_backward(dy) * 1.01
    assert not check_layer(layer, in_features=4).passed


def test_whole_network_gradient(backend, registry):
    """End to end through Sequential + loss: every parameter's gradient."""
    model = Sequential.from_spec("linear:5,batchnorm,relu,linear:4,tanh", 3, 3,
                                 rng=1, dtype=np.float64)
    loss = create("loss", "softmax_ce")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3))
    y = rng.integers(0, 3, 6)

    def f():
        return loss.forward(model.forward(x), y)

    f()
    model.backward(loss.backward())
    from nnplug.testing.gradcheck import numerical_grad
    for p in model.parameters():
        analytic, numeric = p.grad.copy(), numerical_grad(f, p.value)
        if p.key == "0.b":
            # zero in theory (a bias right before batchnorm): central differences give
            # round-off, 0 or one ulp of the loss / 2 eps = 1.1e-10 per entry by BLAS kernel
            # (rel_error's 1e-7 floor makes that 1e-3), so bound both norms instead
            assert np.linalg.norm(numeric) < 1e-8 and np.linalg.norm(analytic) < 1e-12
        else:
            assert rel_error(analytic, numeric) < 1e-6, p.key


def test_softmax_ce_is_stable_for_huge_logits(backend, registry):
    loss = create("loss", "softmax_ce")
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]], dtype=np.float32)
    value = loss.forward(logits, np.array([0, 2]))
    grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx(400.0, rel=1e-5)  # (0 + 800) / 2
    assert grad.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_preserve_dtype(backend, registry, dtype):
    model = Sequential.from_spec("linear:8,batchnorm,relu,linear:8,sigmoid,tanh,dropout:p=0.1",
                                 5, 3, rng=0, dtype=dtype)
    out = model.forward(np.ones((4, 5), dtype))
    assert out.dtype == dtype
    assert model.backward(np.ones_like(out)).dtype == dtype
    assert all(p.value.dtype == dtype and p.grad.dtype == dtype for p in model.parameters())
