"""Entry point of the built-in plugin: registers every core component by class.

A third-party plugin looks exactly like this module.
"""

from nnplug import hookimpl
from nnplug_core import layers, losses, optimizers
from nnplug_core.numpy_backend import NumpyBackend


@hookimpl
def nnplug_register_layers(register):
    for cls in (
        layers.Linear,
        layers.ReLU,
        layers.Sigmoid,
        layers.Tanh,
        layers.BatchNorm,
        layers.Dropout,
    ):
        register(cls)


@hookimpl
def nnplug_register_losses(register):
    register(losses.SoftmaxCE)
    register(losses.MSE)


@hookimpl
def nnplug_register_optimizers(register):
    for cls in (
        optimizers.SGD,
        optimizers.Momentum,
        optimizers.Nesterov,
        optimizers.Adam,
        optimizers.AdamW,
    ):
        register(cls)


@hookimpl
def nnplug_register_backends(register):
    register(NumpyBackend)


@hookimpl
def nnplug_register_onnx_converters(register):
    from nnplug_core.onnx import CONVERTERS

    for cls, convert in CONVERTERS.items():
        register(cls, convert)
