"""The component registry: entry points -> pluggy -> ``(kind, name) -> class``.

Every plugin, the built-ins included, arrives through the entry-point group
``nnplug``. Entry points are scanned once per process (see :func:`get_registry`).
Each plugin's registration hooks are called through pluggy, one plugin at a time
(``pm.subset_hook_caller``), so a plugin that fails to import or whose hook raises --
``SystemExit`` included, ``KeyboardInterrupt`` excepted -- is recorded as a
:class:`PluginFailure`, contributes nothing, and the others still load.
Two plugins registering the same name is not a silent override: asking for the
bare name raises :class:`PluginConflictError` naming both, and the qualified
form ``PLUGIN/NAME`` (``PLUGIN`` is the entry-point name) picks one.
Which installed plugins load: :mod:`nnplug.plugin_env` (``NNPLUG_LOAD_PLUGINS``,
``NNPLUG_DISABLE_PLUGINS``; ``NNPLUG_TRACE_PLUGINS=1`` prints every hook call).
Two distributions using one entry-point name is reported as a failure of the second.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, NoReturn

import pluggy

from . import hookspecs
from .errors import PluginConflictError, UnknownComponentError, describe_exception, one_line
from .plugin_env import (
    KERNEL_DIST,
    TRACE_ENV,
    disabled_plugins,
    env_flag,
    install_tracer,
    normalise,
    selected_plugins,
    trace,
)

ENTRY_POINT_GROUP = "nnplug"
#: what a component name may be (the spec grammar's NAME): it is typed, printed and saved
_VALID_NAME = re.compile(r"[A-Za-z_][\w\-]*")


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
        """The first line of the class docstring, printable."""
        doc = (getattr(self.cls, "__doc__", None) or "").strip()
        return one_line(doc.splitlines()[0]) if doc else ""


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded or whose hook raised (all fields printable)."""

    plugin: str
    dist: str
    reason: str


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: entry-point name, distribution and version (all printable)."""

    name: str
    dist: str
    version: str

    def describe(self) -> str:
        return f"{self.name} ({self.dist} {self.version})".replace(" )", ")")


def _distribution(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?", ""
    return one_line(dist.metadata["Name"] or "?", 80), one_line(dist.version or "", 40)


class _StandIn:
    """Holds the attributes of an unhashable plugin object (e.g. a ``SimpleNamespace``):
    pluggy's per-plugin hook callers keep plugins in sets."""


def _hashable(plugin: Any) -> Any:
    try:
        hash(plugin)
        return plugin
    except TypeError:
        stand_in = _StandIn()
        for attr in dir(plugin):
            if not attr.startswith("__"):
                setattr(stand_in, attr, getattr(plugin, attr))
        return stand_in


class Registry:
    """Loads plugins and resolves components by kind and name."""

    def __init__(self, plugins: Iterable[tuple[str, Any]] = (), *, entry_points: bool = True):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        #: entry-point names skipped by NNPLUG_DISABLE_PLUGINS
        self.disabled: list[str] = []
        #: entry-point names skipped because NNPLUG_LOAD_PLUGINS does not list them
        self.not_selected: list[str] = []
        self._info: dict[str, PluginInfo] = {}
        # (kind, name) -> list of components (more than one = conflict)
        self._components: dict[tuple[str, str], list[Component]] = {}
        self._by_class: dict[Any, Component] | None = None
        self.tracing = env_flag(TRACE_ENV)
        if self.tracing:
            install_tracer(self.pm, self._describe_plugin)
        if entry_points:
            self._load_entry_points()
        for name, module in plugins:
            self.add_plugin(module, name)

    # -- loading -----------------------------------------------------------
    def _load_entry_points(self) -> None:
        skip, selected = disabled_plugins(), selected_plugins()
        matched: set[str] = set()
        seen: dict[str, str] = {}  # entry-point name -> distribution that claimed it
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist, version = _distribution(ep)
            keys = {normalise(ep.name), normalise(dist)}
            matched |= keys & (selected or set())
            if keys & skip:
                self.disabled.append(ep.name)
                continue
            if selected is not None:
                if not keys & selected and normalise(dist) != KERNEL_DIST:
                    self.not_selected.append(ep.name)
                    continue
            if ep.name in seen:
                if normalise(seen[ep.name]) != normalise(dist):  # not one dist seen twice
                    self._fail(
                        PluginInfo(ep.name, dist, version),
                        f"entry-point name '{ep.name}' is already used by "
                        f"{seen[ep.name]}; one of them must rename it",
                    )
                continue
            seen[ep.name] = dist
            try:
                module = ep.load()
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001 - SystemExit too: a plugin must not end the host
                self._fail(PluginInfo(ep.name, dist, version), describe_exception(exc))
                continue
            self.add_plugin(module, ep.name, dist=dist, version=version)
        for name in sorted((selected or set()) - matched):
            self._fail(
                PluginInfo(name, name, ""),
                "listed in NNPLUG_LOAD_PLUGINS but not "
                "installed (no such entry point or "
                "distribution)",
            )

    def add_plugin(
        self, module: Any, name: str, *, dist: str | None = None, version: str | None = None
    ) -> bool:
        """Register a plugin object (module or instance) and collect its components.

        All or nothing: if registering or any of its hooks fails, the failure is recorded,
        the plugin is unregistered and none of its components are kept. Returns success.
        """
        info = PluginInfo(
            one_line(name, 80), one_line(dist or name, 80), one_line(version or "", 40)
        )
        module = _hashable(module)
        try:
            self.pm.register(module, name=name)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - e.g. a bad hookimpl signature, a name in use
            self._fail(info, describe_exception(exc))
            return False
        self._info[name] = info
        self._check_hook_names(module, info)
        staged: list[Component] = []
        try:
            for kind, hook_name in hookspecs.KIND_HOOKS.items():
                if self._implements(module, hook_name):
                    self.call_hook(module, hook_name, register=self._registrar(kind, info, staged))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - a plugin's hook must not end the host
            self.pm.unregister(module)
            del self._info[name]
            self._fail(info, describe_exception(exc))
            return False
        for comp in staged:
            self._components.setdefault((comp.kind, comp.name), []).append(comp)
        self._by_class = None
        return True

    def _check_hook_names(self, module: Any, info: PluginInfo) -> None:
        for caller in self.pm.get_hookcallers(module) or []:
            if caller.spec is None:  # a typo such as nnplug_register_layer would do nothing
                close = difflib.get_close_matches(caller.name, hookspecs.HOOK_NAMES, 1)
                hint = f"; did you mean {close[0]}?" if close else ""
                self._fail(info, f"unknown hook {caller.name}{hint}")

    def _implements(self, plugin: Any, hook_name: str) -> bool:
        caller = getattr(self.pm.hook, hook_name)
        return any(impl.plugin is plugin for impl in caller.get_hookimpls())

    def call_hook(self, plugin: Any, hook_name: str, **kwargs: Any) -> Any:
        """Call ``hook_name`` of ``plugin`` only, through pluggy (so monitoring sees it)."""
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)

    def _registrar(
        self, kind: str, info: PluginInfo, staged: list[Component]
    ) -> Callable[[Any], None]:
        def register(cls: Any) -> None:
            name = getattr(cls, "name", None)
            if not isinstance(name, str) or not _VALID_NAME.fullmatch(name):
                raise TypeError(
                    f"{one_line(repr(cls), 80)} needs a class attribute 'name': "
                    f"letters, digits, '_' or '-', not starting with a digit "
                    f"(got {one_line(repr(name), 40)})"
                )
            if any(c.kind == kind and c.name == name for c in staged):
                raise ValueError(f"{kind} '{name}' is registered twice")
            staged.append(Component(kind, name, cls, info.name, info.dist, info.version))
            if self.tracing:
                trace(
                    f"  {info.name} registered {kind} '{name}' "
                    f"({one_line(getattr(cls, '__qualname__', cls), 80)})"
                )

        return register

    def _fail(self, info: PluginInfo, reason: str) -> None:
        self.failures.append(PluginFailure(info.name, info.dist, one_line(reason, 300)))

    def _describe_plugin(self, name: str) -> str:
        info = self._info.get(name)
        return info.describe() if info is not None else one_line(name, 80)

    # -- commands ------------------------------------------------------------
    def add_commands(self, cli: Any, reserved: Iterable[str] = ()) -> dict[str, PluginInfo]:
        """Let every plugin add subcommands to the click group ``cli``
        (``nnplug_register_commands``); returns command name -> the plugin that added it.

        A plugin whose hook raises, or that would replace a command in ``reserved`` (the
        built-ins) or one an earlier plugin added, is recorded as a failure and none of
        its commands are added.
        """
        reserved = set(reserved)
        added: dict[str, PluginInfo] = {}
        for info in self.plugins():
            plugin = self.pm.get_plugin(info.name)
            if plugin is None or not self._implements(plugin, hookspecs.COMMANDS_HOOK):
                continue
            before = dict(cli.commands)
            cli.commands.clear()  # so whatever the plugin adds is seen as its own
            try:
                self.call_hook(plugin, hookspecs.COMMANDS_HOOK, cli=cli)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001 - a plugin's hook must not end the host
                problem = f"nnplug_register_commands raised {describe_exception(exc)}"
            else:
                taken = sorted(n for n in cli.commands if n in reserved or n in before)
                problem = "; ".join(
                    f"command '{n}' is already provided by "
                    f"{added[n].describe() if n in added else 'nnplug'}"
                    for n in taken
                )
            new = dict(cli.commands)
            cli.commands.clear()
            cli.commands.update(before)
            if problem:
                self._fail(info, problem)
                continue
            cli.commands.update(new)
            added.update(dict.fromkeys(new, info))
        return added

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

    def plugins(self) -> list[PluginInfo]:
        return sorted(self._info.values(), key=lambda p: p.name)

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

    def create(self, kind: str, name: str, **options: Any) -> Any:
        """Instantiate a component by name, turning bad options into one-line errors."""
        comp = self.get(kind, name)
        try:
            return comp.cls(**options)
        except TypeError as exc:
            from .errors import SpecError

            raise SpecError(f"{kind} '{name}': {exc}") from None

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
