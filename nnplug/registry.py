"""The component registry: entry points -> pluggy -> ``(kind, name) -> class``.

Every plugin, the built-ins included, arrives through the entry-point group
``nnplug``. Entry points are scanned once per process (see :func:`get_registry`).
A plugin that fails to import is recorded and skipped; the others still load.
Two plugins registering the same name is not a silent override: asking for the
bare name raises :class:`PluginConflictError` naming both, and the qualified
form ``PLUGIN/NAME`` (``PLUGIN`` is the entry-point name) picks one.
``NNPLUG_DISABLE_PLUGINS=a,b`` skips the named plugins (entry-point or
distribution names) without uninstalling them. Two distributions using one
entry-point name is reported as a failure of the second, never a silent skip.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .errors import PluginConflictError, UnknownComponentError

ENTRY_POINT_GROUP = "nnplug"
DISABLE_ENV = "NNPLUG_DISABLE_PLUGINS"


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
        doc = (getattr(self.cls, "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else ""


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded or whose hook raised."""

    plugin: str
    dist: str
    reason: str


@dataclass
class _PluginInfo:
    name: str
    dist: str
    version: str


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _normalise(name: str) -> str:
    """PEP 503 style: ``Nnplug_Leaky.Relu`` and ``nnplug-leaky-relu`` are one name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def disabled_plugins() -> set[str]:
    """Entry-point or distribution names listed in ``NNPLUG_DISABLE_PLUGINS``."""
    raw = os.environ.get(DISABLE_ENV, "")
    return {p.strip() for p in raw.split(",") if p.strip()}


class Registry:
    """Loads plugins and resolves components by kind and name."""

    def __init__(self, plugins: Iterable[tuple[str, Any]] = (), *, entry_points: bool = True):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self.disabled: list[str] = []
        self._info: dict[str, _PluginInfo] = {}
        # (kind, name) -> list of components (more than one = conflict)
        self._components: dict[tuple[str, str], list[Component]] = {}
        if entry_points:
            self._load_entry_points()
        for name, module in plugins:
            self.add_plugin(module, name)

    # -- loading -----------------------------------------------------------
    def _load_entry_points(self) -> None:
        skip = {_normalise(name) for name in disabled_plugins()}
        seen: dict[str, str] = {}  # entry-point name -> distribution that claimed it
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.metadata["Name"] if ep.dist is not None else "?"
            version = ep.dist.version if ep.dist is not None else "?"
            if ep.name in seen:
                if _normalise(seen[ep.name]) != _normalise(dist):  # not one dist seen twice
                    self.failures.append(PluginFailure(
                        ep.name, dist, f"entry-point name '{ep.name}' is already used by "
                                       f"{seen[ep.name]}; one of them must rename it"))
                continue
            seen[ep.name] = dist
            if _normalise(ep.name) in skip or _normalise(dist) in skip:
                self.disabled.append(ep.name)
                continue
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is reported, not fatal
                self.failures.append(PluginFailure(ep.name, dist, _one_line(exc)))
                continue
            self.add_plugin(module, ep.name, dist=dist, version=version)

    def add_plugin(self, module: Any, name: str, *, dist: str | None = None,
                   version: str | None = None) -> None:
        """Register a plugin object (module or instance) and collect its components."""
        try:
            self.pm.register(module, name=name)
        except Exception as exc:  # noqa: BLE001 - e.g. a hookimpl with a bad signature
            self.failures.append(PluginFailure(name, dist or name, _one_line(exc)))
            return
        self._info[name] = _PluginInfo(name, dist or name, version or "")
        for caller in self.pm.get_hookcallers(module) or []:
            if caller.spec is None:  # a typo such as nnplug_register_layer would do nothing
                close = difflib.get_close_matches(caller.name, hookspecs.KIND_HOOKS.values(), 1)
                hint = f"; did you mean {close[0]}?" if close else ""
                self.failures.append(PluginFailure(name, dist or name,
                                                   f"unknown hook {caller.name}{hint}"))
        for kind, hook_name in hookspecs.KIND_HOOKS.items():
            hook = getattr(self.pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                if impl.plugin_name == name:
                    self._collect(kind, impl)

    def _collect(self, kind: str, impl: Any) -> None:
        info = self._info[impl.plugin_name]

        def register(cls: Any) -> None:
            comp_name = getattr(cls, "name", None)
            if not isinstance(comp_name, str) or not comp_name or "/" in comp_name:
                raise TypeError(f"{cls!r} needs a class attribute 'name' (a string without '/')")
            comp = Component(kind, comp_name, cls, info.name, info.dist, info.version)
            self._components.setdefault((kind, comp_name), []).append(comp)

        try:
            impl.function(register=register)
        except Exception as exc:  # noqa: BLE001
            self.failures.append(PluginFailure(info.name, info.dist, _one_line(exc)))

    # -- queries -----------------------------------------------------------
    def components(self, kind: str | None = None) -> list[Component]:
        out = [c for comps in self._components.values() for c in comps
               if kind is None or c.kind == kind]
        return sorted(out, key=lambda c: (c.kind, c.name, c.plugin))

    def names(self, kind: str) -> list[str]:
        return sorted({name for (k, name) in self._components if k == kind})

    def conflicts(self) -> list[list[Component]]:
        return [comps for comps in self._components.values() if len(comps) > 1]

    def plugins(self) -> list[_PluginInfo]:
        return sorted(self._info.values(), key=lambda p: p.name)

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
                f"use a qualified name such as '{comps[0].qualified_name}'")
        return comps[0]

    def create(self, kind: str, name: str, **options: Any) -> Any:
        """Instantiate a component by name, turning bad options into one-line errors."""
        comp = self.get(kind, name)
        try:
            return comp.cls(**options)
        except TypeError as exc:
            from .errors import SpecError
            raise SpecError(f"{kind} '{name}': {exc}") from None

    def _unknown(self, kind: str, name: str) -> None:
        known = self.names(kind)
        close = difflib.get_close_matches(name.split("/")[-1], known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise UnknownComponentError(
            f"unknown {kind} '{name}'.{hint} Available: {', '.join(known) or '(none)'}")


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
