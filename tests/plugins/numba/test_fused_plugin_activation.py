"""A plugin activation fuses into the step of the linear or batchnorm before it on the
compiled path, through its declared ``elementwise`` kernels (not a closed list of codes),
and trains as the per-op path does."""
import os
from pathlib import Path

import numpy as np
import pytest

from nnplug.nn.training import TrainConfig, train
from nnplug.registry import Registry

EXAMPLE = Path(__file__).resolve().parents[3] / "plugins" / "nnplug-leaky-relu"
pytestmark = pytest.mark.usefixtures("pair")


@pytest.fixture
def leaky(use_registry, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    import nnplug_leaky_relu.plugin as plugin

    reg = Registry()
    reg.add_plugin(plugin, "leaky_relu", dist="nnplug-leaky-relu", version="0")
    return use_registry(reg)


def test_the_compiled_path_fuses_it_and_agrees_with_per_op(leaky):
    from nnplug_numba import plan

    spec = "linear:32,leaky_relu,linear:16,batchnorm,leaky_relu:0.2"
    runs = {b: train(TrainConfig(layers=spec, backend=b, epochs=2, seed=3)).metrics
            for b in ("numpy", "numba")}
    jit_off = os.environ.get("NUMBA_DISABLE_JIT") == "1"  # the compiled path is refused
    assert runs["numba"]["training_path"] == ("per-op" if jit_off else "compiled")
    loss = {b: np.array([h["loss"] for h in m["history"]]) for b, m in runs.items()}
    np.testing.assert_allclose(loss["numba"], loss["numpy"], rtol=1e-4)  # float32 rounding
    from nnplug.nn.sequential import Sequential

    model = Sequential.from_spec(spec, 8, 3, registry=leaky)
    fused = [type(extra).name for _, _, extra in plan.compiled_steps(model) if extra is not None]
    assert fused == ["leaky_relu", "leaky_relu"]  # both absorbed by the layer before them


def test_the_kit_checks_the_elementwise_functions(leaky, tmp_path):
    from nnplug.kernel_testing import layer_kernel_report
    from nnplug_leaky_relu import LeakyReLU

    report = layer_kernel_report(LeakyReLU, {"alpha": 0.3})
    names = [c.name for c in report.checks]
    assert "elementwise float32" in names and report.passed, report.failures

    class WrongDerivative(LeakyReLU):
        def backward(self, dy):  # the NumPy code says 0.5 below zero: the kernel disagrees
            return np.where(self._positive, dy, 0.5 * dy)

    report = layer_kernel_report(WrongDerivative, {"alpha": 0.3})
    details = " | ".join(c.detail for c in report.failures)
    assert "elementwise derivative: max abs error" in details
