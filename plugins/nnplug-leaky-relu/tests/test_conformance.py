"""The example plugin's own tests: nnplug's conformance checks plus the math."""
import numpy as np
import pytest

from nnplug.base import Param
from nnplug.testing import (assert_layer_conforms, assert_loss_conforms,
                            assert_optimizer_conforms)
from nnplug_leaky_relu import Huber, LeakyReLU, RMSprop


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5])
def test_leaky_relu_conforms(alpha):
    # gradients, train/eval mode, parameter updates, float32/float64, shape inference
    assert_layer_conforms(LeakyReLU, {"alpha": alpha})


def test_huber_conforms():
    assert_loss_conforms(Huber, {"delta": 0.5})


def test_rmsprop_conforms():
    # in-place updates, dtypes, weight decay on weights only, descent on a quadratic
    assert_optimizer_conforms(RMSprop, {"lr": 0.01, "rho": 0.95})


def test_leaky_relu_values():
    layer = LeakyReLU(alpha=0.2)
    layer.build(3, rng=np.random.default_rng(0))
    x = np.array([[-2.0, 0.0, 3.0]], dtype=np.float32)
    np.testing.assert_allclose(layer.forward(x), [[-0.4, 0.0, 3.0]], rtol=1e-6)
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), [[0.2, 0.2, 1.0]], rtol=1e-6)


def test_huber_values():
    loss = Huber(delta=1.0)
    outputs = np.array([[0.5], [3.0]])
    # r = 0.5 -> 0.125 (quadratic); r = 3 -> 1 * (3 - 0.5) = 2.5 (linear); mean 1.3125
    assert loss.forward(outputs, np.zeros(2)) == pytest.approx(1.3125)
    np.testing.assert_allclose(loss.backward(), [[0.25], [0.5]])


@pytest.mark.parametrize("bad", [-0.1, 1.0])
def test_leaky_relu_rejects_bad_alpha(bad):
    with pytest.raises(ValueError, match="alpha"):
        LeakyReLU(alpha=bad)


def test_rmsprop_first_step():
    p, g = np.array([1.0, -1.0]), np.array([0.5, -2.0])
    RMSprop(lr=0.1, rho=0.9, eps=0.0).step([Param("0.W", p, g, True)])
    # v = 0.1 g^2, so each coordinate moves by lr * g / sqrt(0.1 g^2) = lr / sqrt(0.1)
    np.testing.assert_allclose(p, [1.0 - 0.1 / np.sqrt(0.1), -1.0 + 0.1 / np.sqrt(0.1)])


def test_kernels_match_the_numpy_code():
    """The compiled kernels (numba backend) compute what forward/backward/update do."""
    pytest.importorskip("numba")
    from nnplug.kernel_testing import (assert_layer_kernels_conform,
                                       assert_optimizer_kernel_conforms)

    for alpha in (0.0, 0.1, 0.5):
        assert_layer_kernels_conform(LeakyReLU, {"alpha": alpha})
    assert_optimizer_kernel_conforms(RMSprop, {"lr": 0.01, "rho": 0.95})
