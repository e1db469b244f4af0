"""How plugins get in: entry points -> pluggy, one plugin at a time, failures isolated.

:class:`PluginLoader` scans the entry-point group ``nnplug`` (which plugins:
:mod:`nnplug.registry.switches`), imports each plugin and calls its registration hooks through
pluggy, one plugin at a time (``pm.subset_hook_caller``, so ``NNPLUG_TRACE_PLUGINS``
monitoring sees every call). A plugin that fails to import or whose hook raises --
``SystemExit`` and a ``KeyboardInterrupt`` of its own included -- is recorded as a
:class:`PluginFailure` and contributes nothing; the others still load. Only a real signal
(Ctrl-C while plugin code runs) interrupts the host. Two
distributions using one entry-point name is a failure of the second.
:class:`nnplug.registry.Registry` keeps what the plugins registered.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from nnplug import hookspecs
from nnplug.registry import switches as plugin_env
from nnplug.safeio.text import describe_exception, one_line

ENTRY_POINT_GROUP = "nnplug"
#: what a component name may be (the spec grammar's NAME): it is typed, printed and saved
_VALID_NAME = re.compile(r"[A-Za-z_][\w\-]*")


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


@dataclass(frozen=True)
class Registration:
    """One ``register(cls)`` call: a component of ``kind`` named ``name`` from ``plugin``."""

    kind: str
    name: str
    cls: Any
    plugin: PluginInfo


def _distribution(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?", ""
    return one_line(dist.metadata["Name"] or "?", 80), one_line(dist.version or "", 40)


class _Signalled(KeyboardInterrupt):
    """Ctrl-C (a real SIGINT) while plugin code ran, as opposed to a ``KeyboardInterrupt``
    the plugin raised itself."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_signalled(signum: int, frame: Any) -> None:
    raise _Signalled(signum)


@contextlib.contextmanager
def _signals_marked() -> Iterator[None]:
    """SIGINT raises :class:`_Signalled` in the block, where it would raise a
    ``KeyboardInterrupt`` (a Python handler is installed; main thread only)."""
    handler = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(handler):
        yield  # SIGINT ignored, default or foreign: no KeyboardInterrupt comes from it
        return
    signal.signal(signal.SIGINT, _raise_signalled)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)


def guarded(call: Callable[[], Any]) -> tuple[Any, str | None]:
    """``(call(), None)``, or ``(None, what it raised as one printable line)``. Catches
    every ``BaseException`` -- ``SystemExit`` and a plugin's own ``KeyboardInterrupt``
    too -- except a signal's (a ``KeyboardInterrupt`` carrying ``signum``: Ctrl-C, or
    nnplug's SIGTERM handler), which interrupts the host."""
    with _signals_marked():
        try:
            return call(), None
        except KeyboardInterrupt as exc:
            if getattr(exc, "signum", None) is not None:
                raise
            return None, describe_exception(exc)
        except BaseException as exc:  # noqa: BLE001 - plugin code must not end the host
            return None, describe_exception(exc)


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


class PluginLoader:
    """Loads plugins into ``self.pm``; subclasses keep what they register (:meth:`accept`)."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        #: entry-point names skipped by NNPLUG_DISABLE_PLUGINS
        self.disabled: list[str] = []
        #: entry-point names skipped because NNPLUG_LOAD_PLUGINS does not list them
        self.not_selected: list[str] = []
        self._info: dict[str, PluginInfo] = {}
        self.tracing = plugin_env.env_flag(plugin_env.TRACE_ENV)
        if self.tracing:
            plugin_env.install_tracer(self.pm, self._describe_plugin)

    def accept(self, registrations: list[Registration]) -> None:
        """Keep the components one plugin registered (all its hooks succeeded)."""
        raise NotImplementedError

    def load_entry_points(self) -> None:
        """Load every installed plugin the environment switches let through."""
        skip, selected = plugin_env.disabled_plugins(), plugin_env.selected_plugins()
        matched: set[str] = set()
        seen: dict[str, str] = {}  # entry-point name -> distribution that claimed it
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist, version = _distribution(ep)
            keys = {plugin_env.normalise(ep.name), plugin_env.normalise(dist)}
            matched |= keys & (selected or set())
            if keys & skip:
                self.disabled.append(one_line(ep.name, 80))
                continue
            if (
                selected is not None
                and not keys & selected
                and plugin_env.normalise(dist) != plugin_env.KERNEL_DIST
            ):
                self.not_selected.append(one_line(ep.name, 80))
                continue
            if ep.name in seen:
                if plugin_env.normalise(seen[ep.name]) != plugin_env.normalise(
                    dist
                ):  # not one dist seen twice
                    self.record_failure(
                        PluginInfo(ep.name, dist, version),
                        f"entry-point name '{ep.name}' is already used by "
                        f"{seen[ep.name]}; one of them must rename it",
                    )
                continue
            seen[ep.name] = dist
            module, problem = guarded(ep.load)
            if problem:
                self.record_failure(PluginInfo(ep.name, dist, version), problem)
                continue
            self.add_plugin(module, ep.name, dist=dist, version=version)
        for name in sorted((selected or set()) - matched):
            self.record_failure(
                PluginInfo(name, name, ""),
                "listed in NNPLUG_LOAD_PLUGINS but not installed (no such entry point or "
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
        _, problem = guarded(lambda: self.pm.register(module, name=name))  # bad signature ...
        if problem:
            self.record_failure(info, problem)
            return False
        self._info[name] = info
        self._check_hook_names(module, info)
        staged: list[Registration] = []
        for kind, hook_name in hookspecs.KIND_HOOKS.items():
            if module in self.implementers(hook_name).values():
                problem = self.call_hook(
                    module, hook_name, register=self._registrar(kind, info, staged)
                )
                if problem:
                    self.pm.unregister(module)
                    del self._info[name]
                    self.record_failure(info, problem)
                    return False
        self.accept(staged)
        return True

    def _check_hook_names(self, module: Any, info: PluginInfo) -> None:
        for caller in self.pm.get_hookcallers(module) or []:
            if caller.spec is None:  # a typo such as nnplug_register_layer would do nothing
                close = difflib.get_close_matches(caller.name, hookspecs.HOOK_NAMES, 1)
                hint = f"; did you mean {close[0]}?" if close else ""
                self.record_failure(info, f"unknown hook {caller.name}{hint}")

    def implementers(self, hook_name: str) -> dict[PluginInfo, Any]:
        """The loaded plugins implementing ``hook_name``, by name: info -> plugin object."""
        plugins = {
            impl.plugin_name: impl.plugin
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls()
        }
        return {info: plugins[info.name] for info in self.plugins() if info.name in plugins}

    def call_hook(self, plugin: Any, hook_name: str, **kwargs: Any) -> str | None:
        """Call ``hook_name`` of ``plugin`` only, through pluggy (so monitoring sees it).

        Returns ``None``, or what it raised as one line -- any exception, ``SystemExit``
        included, is caught: a plugin must not end the host (``KeyboardInterrupt`` passes).
        """
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
        return guarded(lambda: caller(**kwargs))[1]

    def _registrar(
        self, kind: str, info: PluginInfo, staged: list[Registration]
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
            staged.append(Registration(kind, name, cls, info))
            if self.tracing:
                plugin_env.trace(
                    f"  {info.name} registered {kind} '{name}' "
                    f"({one_line(getattr(cls, '__qualname__', cls), 80)})"
                )

        return register

    def record_failure(self, info: PluginInfo, reason: str) -> None:
        """Report plugin ``info`` as failed (``nnplug plugins`` lists it)."""
        self.failures.append(
            PluginFailure(one_line(info.name, 80), one_line(info.dist, 80), one_line(reason, 300))
        )

    def _describe_plugin(self, name: str) -> str:
        info = self._info.get(name)
        return info.describe() if info is not None else one_line(name, 80)

    def plugins(self) -> list[PluginInfo]:
        return sorted(self._info.values(), key=lambda p: p.name)
