"""ONNX converters come from plugins (nnplug_register_onnx_converters), the built-ins' too;
a layer or loss without one is one line naming it and its plugin."""
import numpy as np
import pytest
from onnx_cases import max_diff, output_scale, train_model

from nnplug import hookimpl
from nnplug.base import Layer, Loss
from nnplug.errors import NNPlugError, PluginRuntimeError
from nnplug.export.onnx import converters
from nnplug.testing.onnx import assert_onnx_converter
from nnplug.registry import Registry, get_registry, set_registry
from nnplug_core import layers
from nnplug_core import onnx as core_onnx


@pytest.mark.parametrize("cls,options", [
    (layers.Linear, {"units": 5}), (layers.Linear, {"units": 5, "bias": False}),
    (layers.BatchNorm, {"momentum": 0.2, "eps": 1e-3}), (layers.ReLU, {}),
    (layers.Sigmoid, {}), (layers.Tanh, {}), (layers.Dropout, {"p": 0.5}),
])
def test_each_built_in_converter_computes_its_layer(cls, options):
    assert_onnx_converter(cls, core_onnx.CONVERTERS[cls], options)


def test_the_converter_check_catches_a_wrong_converter():
    with pytest.raises(AssertionError, match="differs from forward"):
        assert_onnx_converter(layers.ReLU, core_onnx.activation("Sigmoid"))


def test_the_core_plugin_registers_every_built_in_layer_and_loss():
    found = converters(get_registry())
    comps = [c for c in get_registry().components() if c.plugin == "core"
             and c.kind in ("layer", "loss")]
    assert {c.cls for c in comps} <= set(found.table)
    assert all(own for _, own in found.table.values()) and not found.failed


def test_the_example_plugin_exports_leaky_relu(example_registry, tmp_path):
    from onnx_cases import export_file

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)).astype(np.float32)
    y = (X @ rng.normal(size=5) * 3 + 10).astype(np.float32)
    # huber registers no converter: its predictions are the raw outputs (Loss.predict)
    path = train_model(tmp_path / "m.npz", X, y, task="regression", registry=example_registry,
                       layers="linear:16,leaky_relu:0.2,linear:8,leaky_relu", loss="huber")
    # float32 rounding is relative to the outputs: 1e-5 in units of the targets' std
    scale = output_scale(path, X, registry=example_registry)
    assert max_diff(path, X, registry=example_registry) <= 1e-5 * scale
    import onnx

    ops = [n.op_type for n in onnx.load(str(export_file(path, example_registry))).graph.node]
    assert ops.count("LeakyRelu") == 2


class Swish(Layer):
    """x sigmoid(x) (no ONNX converter: for the tests)."""

    name = "swish"

    def forward(self, x):
        return x / (1 + np.exp(-x))

    def backward(self, dy):
        raise NotImplementedError


class Scaled(Loss):
    """Squared error whose predictions are doubled (no converter: for the tests)."""

    name = "scaled"
    task = "regression"

    def forward(self, outputs, targets):
        self._g = outputs - np.reshape(targets, outputs.shape)
        return float(np.mean(self._g ** 2))

    def backward(self):
        return self._g

    def predict(self, outputs):
        return outputs * 2


class NoConverters:
    @hookimpl
    def nnplug_register_layers(self, register):
        register(Swish)

    @hookimpl
    def nnplug_register_losses(self, register):
        register(Scaled)


class BrokenConverters(NoConverters):
    @hookimpl
    def nnplug_register_onnx_converters(self, register):
        raise RuntimeError("converters unavailable")


class FailingConverter(NoConverters):
    @hookimpl
    def nnplug_register_onnx_converters(self, register):
        def convert(layer, graph, x):
            raise ValueError("no such op")

        register(Swish, convert)


@pytest.fixture
def plugin_registry():
    """A registry with the built-ins and one of the test plugins above."""
    before = get_registry()

    def make(plugin):
        reg = Registry()
        assert reg.add_plugin(plugin, "swishes", dist="nnplug-swish", version="1.2")
        assert not reg.failures  # the hook's name is known (no "unknown hook" failure)
        set_registry(reg)
        return reg

    yield make
    set_registry(before)


def swish_model(tmp_path, layers="linear:4,swish", loss="mse"):
    """A saved (untrained) regression model of ``layers`` and ``loss``."""
    from nnplug.files.model import save
    from nnplug.nn.sequential import Sequential
    from nnplug.registry.resolve import make_component
    from nnplug.spec import parse_token

    net = Sequential.from_spec(layers, 3, 1, rng=0)
    net.eval()
    save(tmp_path / "m.npz", net, make_component("loss", parse_token(loss)))
    return tmp_path / "m.npz"


@pytest.mark.parametrize("plugin,message", [
    (NoConverters(), "cannot export {m} to ONNX: layer 'swish' from plugin 'swishes' "
                     "(nnplug-swish 1.2) has no ONNX converter (its plugin registers none "
                     "with the nnplug_register_onnx_converters hook)"),
    (BrokenConverters(), "cannot export {m} to ONNX: layer 'swish' from plugin 'swishes' "
                         "(nnplug-swish 1.2) has no ONNX converter (its plugin's "
                         "nnplug_register_onnx_converters hook failed: RuntimeError: "
                         "converters unavailable)"),
])
def test_a_layer_without_a_converter_is_one_line(plugin_registry, tmp_path, cli, plugin,
                                                 message):
    plugin_registry(plugin)
    model = swish_model(tmp_path)
    res = cli("export", model, tmp_path / "m.onnx")
    assert res.exit_code == 1
    assert res.output == f"Error: {message.format(m=model)}\n"
    assert not (tmp_path / "m.onnx").exists()


def test_a_failing_converter_is_one_line_naming_its_plugin(plugin_registry, tmp_path, cli):
    plugin_registry(FailingConverter())
    model = swish_model(tmp_path)
    res = cli("export", model, tmp_path / "m.onnx")
    assert res.exit_code == 1 and len(res.output.splitlines()) == 1
    assert res.output.startswith("Error: layer 'swish' from plugin 'swishes' (nnplug-swish "
                                 "1.2) failed in ONNX conversion: ValueError: no such op")


def test_a_loss_with_its_own_predict_needs_a_converter(plugin_registry, tmp_path):
    import nnplug
    from nnplug.export.onnx import build

    reg = plugin_registry(NoConverters())
    model = swish_model(tmp_path, layers="linear:4,relu", loss="scaled")
    with pytest.raises(NNPlugError, match="loss 'scaled' from plugin 'swishes' .* has no ONNX "
                                          "converter"):
        build(nnplug.load(model), "m.npz", reg)


def test_the_components_own_plugin_wins_over_another_plugins_converter(example_registry):
    from nnplug_leaky_relu import LeakyReLU
    from nnplug_leaky_relu.onnx import leaky_relu

    class Other:
        @hookimpl
        def nnplug_register_onnx_converters(self, register):
            register(LeakyReLU, core_onnx.activation("Relu"))
            register(layers.ReLU, core_onnx.activation("Relu"))

    example_registry.add_plugin(Other(), "aaa_other", dist="nnplug-other", version="1")
    found = converters(example_registry)
    assert found.table[LeakyReLU] == (leaky_relu, True)
    assert found.table[layers.ReLU][1] is True  # core's own, not aaa_other's


def test_a_converter_error_is_a_plugin_runtime_error(plugin_registry, tmp_path):
    import nnplug
    from nnplug.export.onnx import build

    reg = plugin_registry(FailingConverter())
    model = swish_model(tmp_path)
    with pytest.raises(PluginRuntimeError) as info:
        build(nnplug.load(model), "m.npz", reg)
    assert info.value.component.plugin == "swishes"
    assert isinstance(info.value.__cause__, ValueError)
