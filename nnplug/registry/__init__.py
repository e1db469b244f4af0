"""Plugins and the components they register, resolved by name.

``loading`` (entry points through pluggy, broken plugins isolated), ``switches`` (the
``NNPLUG_*_PLUGINS`` environment), ``registry`` (kind and name -> class), ``resolve`` (the
one component factory), ``blame`` (naming the plugin behind a failure).
"""

from nnplug.registry.registry import (
    ENTRY_POINT_GROUP,
    Component,
    PluginFailure,
    PluginInfo,
    Registry,
    get_registry,
    set_registry,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Component",
    "PluginFailure",
    "PluginInfo",
    "Registry",
    "get_registry",
    "set_registry",
]
