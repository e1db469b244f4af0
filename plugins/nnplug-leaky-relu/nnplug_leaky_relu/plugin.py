"""The entry point: ``leaky_relu = "nnplug_leaky_relu.plugin"`` in pyproject.toml."""
from nnplug import hookimpl

from .huber import Huber
from .layer import LeakyReLU


@hookimpl
def nnplug_register_layers(register):
    register(LeakyReLU)


@hookimpl
def nnplug_register_losses(register):
    register(Huber)
