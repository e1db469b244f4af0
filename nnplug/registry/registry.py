"""The component registry: ``(kind, name) -> class``, filled by the plugins.

Every plugin, the built-ins included, arrives through the entry-point group ``nnplug``
(:mod:`nnplug.registry.loading`: isolation of broken plugins, ``NNPLUG_LOAD_PLUGINS`` and friends).
Entry points are scanned once per process (see :func:`get_registry`). Two plugins
registering the same name is not a silent override: asking for the bare name raises
:class:`PluginConflictError` naming both, and the qualified form ``PLUGIN/NAME``
(``PLUGIN`` is the entry-point name) picks one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from nnplug.errors import PluginConflictError, UnknownComponentError
from nnplug.registry.loading import (
    ENTRY_POINT_GROUP,
    PluginFailure,
    PluginInfo,
    PluginLoader,
    Registration,
)
from nnplug.safeio.text import one_line

__all__ = [
    "ENTRY_POINT_GROUP",
    "Component",
    "PluginFailure",
    "PluginInfo",
    "Registry",
    "get_registry",
    "set_registry",
]


@dataclass(frozen=True)
class Component:
    """One registered component and where it came from."""

    kind: str
    name: str
    cls: Any
    plugin: str
    dist: str
    version: str

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}/{self.name}"

    @property
    def summary(self) -> str:
        """The first paragraph of the class docstring, on one printable line."""
        doc = (getattr(self.cls, "__doc__", None) or "").strip()
        return one_line(re.split(r"\n\s*\n", doc)[0], 1000) if doc else ""


class Registry(PluginLoader):
    """Loads plugins and resolves components by kind and name."""

    def __init__(self, plugins: Iterable[tuple[str, Any]] = (), *, entry_points: bool = True):
        super().__init__()
        # (kind, name) -> list of components (more than one = conflict)
        self._components: dict[tuple[str, str], list[Component]] = {}
        self._by_class: dict[Any, Component] | None = None
        if entry_points:
            self.load_entry_points()
        for name, module in plugins:
            self.add_plugin(module, name)

    def accept(self, registrations: list[Registration]) -> None:
        for r in registrations:
            comp = Component(r.kind, r.name, r.cls, r.plugin.name, r.plugin.dist, r.plugin.version)
            self._components.setdefault((r.kind, r.name), []).append(comp)
        self._by_class = None

    # -- queries -----------------------------------------------------------
    def components(self, kind: str | None = None) -> list[Component]:
        out = [
            c
            for comps in self._components.values()
            for c in comps
            if kind is None or c.kind == kind
        ]
        return sorted(out, key=lambda c: (c.kind, c.name, c.plugin))

    def names(self, kind: str) -> list[str]:
        return sorted({name for (k, name) in self._components if k == kind})

    def conflicts(self) -> list[list[Component]]:
        return [comps for comps in self._components.values() if len(comps) > 1]

    def provider_of(self, obj: Any) -> Component | None:
        """The :class:`Component` record of ``obj`` (an instance or a class) -- which kind,
        name, plugin, distribution and version it came from; ``None`` when its exact class
        was not registered."""
        if self._by_class is None:
            self._by_class = {}
            for comp in self.components():
                self._by_class.setdefault(comp.cls, comp)
        cls = obj if isinstance(obj, type) else type(obj)
        return self._by_class.get(cls)

    def get(self, kind: str, name: str) -> Component:
        """Resolve ``name`` (or ``PLUGIN/NAME``) of ``kind`` to its :class:`Component`."""
        if "/" in name:
            plugin, _, bare = name.partition("/")
            for comp in self._components.get((kind, bare), []):
                if comp.plugin == plugin:
                    return comp
            self._unknown(kind, name)
        comps = self._components.get((kind, name))
        if not comps:
            self._unknown(kind, name)
        if len(comps) > 1:
            who = " and ".join(f"{c.dist} (as {c.qualified_name})" for c in comps)
            raise PluginConflictError(
                f"{kind} '{name}' is registered by {who}; "
                f"use a qualified name such as '{comps[0].qualified_name}'"
            )
        return comps[0]

    def _unknown(self, kind: str, name: str) -> NoReturn:
        known = self.names(kind)
        close = difflib.get_close_matches(name.split("/")[-1], known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise UnknownComponentError(
            f"unknown {kind} '{one_line(name, 80)}'.{hint} "
            f"Available: {', '.join(known) or '(none)'}"
        )


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry; entry points are scanned on first use only."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry()
    return _REGISTRY


def set_registry(registry: Registry | None) -> None:
    """Replace (or with ``None`` reset) the process-wide registry; for tests and embedding."""
    global _REGISTRY
    _REGISTRY = registry
