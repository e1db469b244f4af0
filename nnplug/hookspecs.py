"""Pluggy hook specifications: one ``register`` hook per component kind, one that adds
subcommands to the ``nnplug`` command line, and one that provides ONNX converters.

A plugin module implements any of these with ``@nnplug.hookimpl`` and calls
``register(SomeClass)`` once per component it provides. Each component class
carries its ``name`` (the string users type) and a docstring (shown by
``nnplug plugins``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

#: what a registration hook receives: call it once per component class
Register = Callable[[Any], None]

PROJECT = "nnplug"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def nnplug_register_layers(register: Register) -> None:
    """Register Layer subclasses: ``register(MyLayer)``."""


@hookspec
def nnplug_register_losses(register: Register) -> None:
    """Register Loss subclasses: ``register(MyLoss)``."""


@hookspec
def nnplug_register_optimizers(register: Register) -> None:
    """Register Optimizer subclasses: ``register(MyOptimizer)``."""


@hookspec
def nnplug_register_datasets(register: Register) -> None:
    """Register Dataset subclasses: ``register(MyDataset)``."""


@hookspec
def nnplug_register_backends(register: Register) -> None:
    """Register Backend subclasses (compute "ops"): ``register(MyBackend)``."""


@hookspec
def nnplug_register_commands(cli: Any) -> None:
    """Add ``nnplug`` subcommands to ``cli``, the ``click.Group`` of the ``nnplug`` command:
    ``cli.add_command(cmd)``.

    Called only when a command that is not built in is asked for (or by
    ``nnplug plugins``): import click command modules inside the hook, not at the top
    of the plugin module.
    """


#: what ``nnplug_register_onnx_converters`` receives: ``register(ComponentClass, convert)``
RegisterConverter = Callable[[Any, Callable[..., str]], None]


@hookspec
def nnplug_register_onnx_converters(register: RegisterConverter) -> None:
    """Provide ONNX conversions for your layers (and losses) to ``nnplug export``:
    ``register(MyLayer, convert)``, once per component class.

    ``convert(component, graph, x) -> y``: ``x`` names the tensor going in, ``y`` the one
    coming out; ``graph`` (:class:`nnplug.export.graph.OnnxGraph`) adds nodes
    (``graph.node("LeakyRelu", [x], alpha=0.1)``) and weights (``graph.constant(W)``, in
    the model's dtype). For a layer, ``y`` is its eval-mode output; for a loss, what its
    ``predict`` maps raw outputs to (a loss that does not override ``predict`` needs no
    converter). Called only by ``nnplug export``: import the converters inside the hook;
    they need not import onnx (the graph does). A layer without a converter cannot be
    exported (one line names it and its plugin). Converters are keyed by class: one
    registered by the component's own plugin wins over another plugin's.
    """


#: component kind -> hook name, the single table the registry iterates.
KIND_HOOKS = {
    "layer": "nnplug_register_layers",
    "loss": "nnplug_register_losses",
    "optimizer": "nnplug_register_optimizers",
    "dataset": "nnplug_register_datasets",
    "backend": "nnplug_register_backends",
}
#: the hook that adds subcommands (not a component kind)
COMMANDS_HOOK = "nnplug_register_commands"
#: the hook that provides ONNX converters (called by ``nnplug export`` only)
ONNX_HOOK = "nnplug_register_onnx_converters"
#: every hook a plugin may implement (a misspelt one is reported with the closest)
HOOK_NAMES = [*KIND_HOOKS.values(), COMMANDS_HOOK, ONNX_HOOK]


__all__ = [
    "COMMANDS_HOOK",
    "HOOK_NAMES",
    "KIND_HOOKS",
    "ONNX_HOOK",
    "PROJECT",
    "Register",
    "RegisterConverter",
    "hookimpl",
    "hookspec",
    "nnplug_register_backends",
    "nnplug_register_commands",
    "nnplug_register_datasets",
    "nnplug_register_layers",
    "nnplug_register_losses",
    "nnplug_register_onnx_converters",
    "nnplug_register_optimizers",
]
