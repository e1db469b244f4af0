"""Backward passes in eval mode: BatchNorm differentiates its running-statistics formula
(dx = dy gamma / sqrt(running_var + eps)), checked against float64 central differences."""
from builders import create
import numpy as np
import pytest

from nnplug.testing.gradcheck import check_layer, check_layer_modes, numerical_grad, rel_error
from nnplug.nn.sequential import Sequential


def _trained_stats(layer, rng, n=3):
    """Leave non-trivial running statistics behind, as training does."""
    layer.train(True)
    for shift in range(n):
        layer.forward(rng.standard_normal((16, layer.in_features)) * 3 + shift)
    layer.eval()


def test_batchnorm_eval_input_gradient_is_the_running_statistics_formula(backend, registry):
    rng = np.random.default_rng(0)
    bn = create("layer", "batchnorm")
    bn.build(4, rng=rng, dtype=np.float64)
    bn.params["gamma"][:] = [0.5, 2.0, -1.0, 3.0]
    _trained_stats(bn, rng)
    x, dy = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    bn.forward(x)
    dx = bn.backward(dy.copy())
    expected = dy * bn.params["gamma"] / np.sqrt(bn.buffers["running_var"] + bn.eps)
    np.testing.assert_allclose(dx, expected, rtol=1e-12)
    xhat = (x - bn.buffers["running_mean"]) / np.sqrt(bn.buffers["running_var"] + bn.eps)
    np.testing.assert_allclose(bn.grads["gamma"], (dy * xhat).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.grads["beta"], dy.sum(axis=0), rtol=1e-12)


def test_batchnorm_eval_backward_of_an_untrained_layer_works(backend, registry):
    """Was an AttributeError: no training batch had stored the batch statistics."""
    bn = create("layer", "batchnorm")
    bn.build(3, rng=np.random.default_rng(0), dtype=np.float64)
    bn.eval()
    bn.forward(np.ones((2, 3)))
    np.testing.assert_allclose(bn.backward(np.ones((2, 3))), 1 / np.sqrt(1 + bn.eps))


@pytest.mark.parametrize("spec", ["linear:5,batchnorm,relu,linear:4,tanh",
                                  "linear:5,batchnorm,sigmoid,dropout:p=0.3,batchnorm"])
@pytest.mark.parametrize("fuse", [True, False])
def test_eval_mode_network_gradients(backend, registry, spec, fuse):
    """A trained network in eval mode (fused BatchNorm+activation or not): d loss/d input
    and every parameter against central differences."""
    model = Sequential.from_spec(spec, 3, 3, rng=1, dtype=np.float64)
    model.fuse = fuse
    loss = create("loss", "softmax_ce")
    rng = np.random.default_rng(0)
    model.train()
    for _ in range(3):
        model.forward(rng.standard_normal((8, 3)) * 2 + 1)
    model.eval()
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)

    def f():
        return loss.forward(model.forward(x), y)

    f()
    dx = model.backward(loss.backward())
    assert rel_error(dx, numerical_grad(f, x)) < 1e-6
    for p in model.parameters():
        assert rel_error(p.grad.copy(), numerical_grad(f, p.value)) < 1e-6, p.key


def test_check_layer_covers_eval_mode(backend, registry):
    result = check_layer_modes(create("layer", "batchnorm"), in_features=5)
    assert {"input", "gamma", "beta", "eval:input", "eval:gamma", "eval:beta"} == set(
        result.errors)
    assert result.passed, result.errors


def test_eval_check_fails_for_the_training_formula(registry, monkeypatch):
    """The eval-mode check can fail: BatchNorm reusing its training backward in eval."""
    from nnplug.backend import Backend

    monkeypatch.setattr(Backend, "batchnorm_backward_eval",
                        lambda self, dy, *args, **kw: dy * 1.5)
    assert check_layer(create("layer", "batchnorm"), training=True).passed
    assert not check_layer(create("layer", "batchnorm"), training=False).passed


def test_gradcheck_cli_reports_an_eval_only_bug(registry, monkeypatch):
    from click.testing import CliRunner

    from nnplug.backend import Backend
    from nnplug.cli import main

    monkeypatch.setattr(Backend, "batchnorm_backward_eval",
                        lambda self, dy, *args, **kw: dy * 1.5)
    res = CliRunner().invoke(main, ["gradcheck", "--layers", "batchnorm"])
    assert res.exit_code == 1
    assert "FAIL  worst: eval:" in res.output
