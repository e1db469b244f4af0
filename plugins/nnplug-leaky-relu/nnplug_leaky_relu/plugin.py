"""The entry point: ``leaky_relu = "nnplug_leaky_relu.plugin"`` in pyproject.toml."""

from nnplug import hookimpl

from .gelu import GELU
from .huber import Huber
from .layer import LeakyReLU
from .rmsprop import RMSprop


@hookimpl
def nnplug_register_layers(register):
    register(LeakyReLU)
    register(GELU)


@hookimpl
def nnplug_register_losses(register):
    register(Huber)


@hookimpl
def nnplug_register_optimizers(register):
    register(RMSprop)


@hookimpl
def nnplug_register_commands(cli):
    from .commands import leaky_relu_demo  # click code: imported only when nnplug asks

    cli.add_command(leaky_relu_demo)


@hookimpl
def nnplug_register_onnx_converters(register):
    from .onnx import gelu, leaky_relu  # imported only when nnplug exports a model to ONNX

    register(LeakyReLU, leaky_relu)
    register(GELU, gelu)
