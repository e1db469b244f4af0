"""The example's own math, option checks and its ``nnplug leaky-relu-demo`` command."""

import numpy as np
import pytest
from click.testing import CliRunner

from nnplug.base import Param
from nnplug_leaky_relu import Huber, LeakyReLU, RMSprop
from nnplug_leaky_relu.commands import leaky_relu_demo


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


def test_demo_command():
    res = CliRunner().invoke(leaky_relu_demo, ["--alpha", "0.5"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[2].split() == ["y", "-1", "-0.25", "0", "0.5", "2"]
    assert res.output.rstrip().endswith("PASS")
    assert CliRunner().invoke(leaky_relu_demo, ["--alpha", "1.5"]).exit_code == 2
