"""Pluggy hook specifications: one ``register`` hook per component kind, and one that
adds subcommands to the ``nnplug`` command line.

A plugin module implements any of these with ``@nnplug.hookimpl`` and calls
``register(SomeClass)`` once per component it provides. Each component class
carries its ``name`` (the string users type) and a docstring (shown by
``nnplug plugins``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

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
def nnplug_register_commands(cli: click.Group) -> None:
    """Add ``nnplug`` subcommands to the click group ``cli``: ``cli.add_command(cmd)``.

    Called only when a command that is not built in is asked for (or by
    ``nnplug plugins``): import click command modules inside the hook, not at the top
    of the plugin module.
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
#: every hook a plugin may implement (a misspelt one is reported with the closest)
HOOK_NAMES = [*KIND_HOOKS.values(), COMMANDS_HOOK]
