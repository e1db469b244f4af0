"""nnplug's conformance checks on the example's components (what every plugin should run)."""

import pytest

from nnplug.testing import assert_layer_conforms, assert_loss_conforms, assert_optimizer_conforms
from nnplug_leaky_relu import GELU, Huber, LeakyReLU, RMSprop


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5])
def test_leaky_relu_conforms(alpha):
    # gradients, train/eval mode, parameter updates, float32/float64, shape inference
    assert_layer_conforms(LeakyReLU, {"alpha": alpha})


def test_gelu_conforms():
    assert_layer_conforms(GELU)


def test_huber_conforms():
    assert_loss_conforms(Huber, {"delta": 0.5})


def test_rmsprop_conforms():
    # in-place updates, dtypes, weight decay on weights only, descent on a quadratic
    assert_optimizer_conforms(RMSprop, {"lr": 0.01, "rho": 0.95})


def test_kernels_match_the_numpy_code():
    # the compiled kernels (numba backend) compute what forward/backward/update compute
    pytest.importorskip("numba")
    from nnplug.kernel_testing import assert_layer_kernels_conform, assert_optimizer_kernel_conforms

    assert_layer_kernels_conform(LeakyReLU, {"alpha": 0.1})
    assert_layer_kernels_conform(GELU)  # its kernels and its fused elementwise functions
    assert_optimizer_kernel_conforms(RMSprop, {"lr": 0.01, "rho": 0.95})
