"""Entry point of the built-in ``numba`` backend plugin (imports no numba itself)."""

from nnplug import hookimpl
from nnplug_numba.backend import NumbaBackend


@hookimpl
def nnplug_register_backends(register):
    register(NumbaBackend)
