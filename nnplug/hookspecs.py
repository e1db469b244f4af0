"""Pluggy hook specifications: one ``register`` hook per component kind.

A plugin module implements any of these with ``@nnplug.hookimpl`` and calls
``register(SomeClass)`` once per component it provides. Each component class
carries its ``name`` (the string users type) and a docstring (shown by
``nnplug plugins``).
"""
from __future__ import annotations

import pluggy

PROJECT = "nnplug"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def nnplug_register_layers(register):
    """Register Layer subclasses: ``register(MyLayer)``."""


@hookspec
def nnplug_register_losses(register):
    """Register Loss subclasses: ``register(MyLoss)``."""


@hookspec
def nnplug_register_optimizers(register):
    """Register Optimizer subclasses: ``register(MyOptimizer)``."""


@hookspec
def nnplug_register_datasets(register):
    """Register Dataset subclasses: ``register(MyDataset)``."""


@hookspec
def nnplug_register_backends(register):
    """Register Backend subclasses (compute "ops"): ``register(MyBackend)``."""


#: component kind -> hook name, the single table the registry iterates.
KIND_HOOKS = {
    "layer": "nnplug_register_layers",
    "loss": "nnplug_register_losses",
    "optimizer": "nnplug_register_optimizers",
    "dataset": "nnplug_register_datasets",
    "backend": "nnplug_register_backends",
}
