"""Entry point of the built-in dataset plugin."""
from nnplug import hookimpl

from .digits import Digits


@hookimpl
def nnplug_register_datasets(register):
    register(Digits)
