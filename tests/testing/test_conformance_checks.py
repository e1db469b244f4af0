"""``nnplug.testing``: the built-ins pass every check, and each check can fail."""
import numpy as np
import pytest

from nnplug.base import Layer, Loss, Optimizer
from nnplug.registry import get_registry
from nnplug.testing import (
    assert_layer_conforms,
    assert_loss_conforms,
    assert_optimizer_conforms,
    layer_report,
    loss_report,
    optimizer_report,
)
from nnplug.base import example_options


def _names(kind):
    return [c.name for c in get_registry().components(kind)]


@pytest.mark.parametrize("name", _names("layer"))
def test_builtin_layers_conform(name):
    report = assert_layer_conforms(get_registry().get("layer", name).cls)
    assert len(report.checks) == 9 and report.max_error < 1e-6


@pytest.mark.parametrize("name", _names("loss"))
def test_builtin_losses_conform(name):
    assert_loss_conforms(get_registry().get("loss", name).cls)


@pytest.mark.parametrize("name", _names("optimizer"))
def test_builtin_optimizers_conform(name):
    assert_optimizer_conforms(get_registry().get("optimizer", name).cls)


def test_example_options_defaults():
    assert example_options(get_registry().get("layer", "linear").cls) == {"units": 3}
    assert example_options(get_registry().get("layer", "relu").cls) == {}

    class Wide(Layer):
        name = "wide"
        example_options = {"units": 5}
        positional = "units"

    assert example_options(Wide) == {"units": 5}


class Scale(Layer):
    """A correct layer: y = x * w (one weight per feature); variants below break it."""

    name = "scale"

    def build(self, in_features, *, rng, dtype=np.float32, init=None):
        super().build(in_features, rng=rng, dtype=dtype, init=init)
        self.params["w"] = (1 + rng.random(in_features)).astype(dtype)
        self.grads["w"] = np.zeros_like(self.params["w"])
        return in_features

    def forward(self, x):
        self._x = x
        return x * self.params["w"]

    def backward(self, dy):
        self.grads["w"][...] = (dy * self._x).sum(axis=0)
        return dy * self.params["w"]


class WrongGradient(Scale):
    def backward(self, dy):
        return super().backward(dy) * 1.01


class Upcasts(Scale):
    def forward(self, x):
        return super().forward(x).astype(np.float64)


class CopiesParams(Scale):
    def forward(self, x):
        if not hasattr(self, "_w"):
            self._w = self.params["w"].copy()
        self._x = x
        return x * self._w


class RebindsGrads(Scale):
    def backward(self, dy):
        self.grads["w"] = (dy * self._x).sum(axis=0)
        return dy * self.params["w"]


class WrongWidth(Scale):
    def build(self, in_features, *, rng, dtype=np.float32, init=None):
        super().build(in_features, rng=rng, dtype=dtype, init=init)
        return in_features + 1


class MutatesInput(Scale):
    def forward(self, x):
        self._x = x.copy()
        x *= self.params["w"]
        return x


class NoisyInEval(Scale):
    def forward(self, x):
        noise = np.random.default_rng().random() if not self.training else 0.0
        return super().forward(x) + noise


class IgnoresTrain(Scale):
    def train(self, mode=True):
        return self


class TrainFormulaInEval(Scale):
    """Right in training; in eval mode its output is x * w + 0.5 x^2 (a running state it
    forgets to differentiate), as BatchNorm once reused its training backward in eval."""

    def forward(self, x):
        return super().forward(x) + (0.0 if self.training else 0.5 * x * x)


class LosesOptions(Scale):
    def __init__(self, gain: float = 1.0):
        super().__init__()
        self.gain = gain

    def options(self):
        return {}


@pytest.mark.parametrize("cls,options,check", [
    (WrongGradient, None, "gradients"),
    (TrainFormulaInEval, None, "gradients in eval mode"),
    (Upcasts, None, "dtype float32/float64"),
    (CopiesParams, None, "parameter updates visible"),
    (RebindsGrads, None, "parameter updates visible"),
    (WrongWidth, None, "shape inference"),
    (MutatesInput, None, "inputs left unchanged"),
    (NoisyInEval, None, "train/eval mode"),
    (IgnoresTrain, None, "train/eval mode"),
    (LosesOptions, {"gain": 2.0}, "name and options"),
])
def test_each_layer_check_can_fail(cls, options, check):
    assert layer_report(Scale).passed  # the unbroken base passes
    report = layer_report(cls, options)
    assert check in {c.name for c in report.failures}, report.checks
    with pytest.raises(AssertionError, match=f"(?s)scale fails .*{check}"):
        assert_layer_conforms(cls, options)


def test_a_crashing_layer_is_a_failed_check_not_an_error():
    class Crashes(Scale):
        def forward(self, x):
            raise RuntimeError("kaboom")

    report = layer_report(Crashes)
    assert not report.passed
    assert any("RuntimeError: kaboom" in c.detail for c in report.failures)


class Half(Loss):
    """sum((y - t)^2) / 2 / n with a deliberately wrong gradient."""

    name = "half"
    task = "regression"

    def forward(self, outputs, targets):
        self._r = outputs - np.asarray(targets, outputs.dtype).reshape(outputs.shape)
        return float((self._r ** 2).sum() / 2 / len(outputs))

    def backward(self):
        return self._r  # missing / n


def test_loss_checks_can_fail():
    report = loss_report(Half)
    assert {c.name for c in report.failures} == {"gradient"}


class Sloppy(Optimizer):
    """Rebinds instead of updating in place, and decays every parameter."""

    name = "sloppy"

    def update(self, p, state):
        p.value = p.value - self.lr * (p.grad + self.weight_decay * p.value)


def test_optimizer_checks_can_fail():
    failed = {c.name for c in optimizer_report(Sloppy).failures}
    assert {"in-place update, dtype", "descends a quadratic"} <= failed
