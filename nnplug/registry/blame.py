"""Naming the plugin behind a component that failed while it ran: one line with the
component's kind and name, its plugin (entry point), distribution and version.

Every place that runs plugin code goes through :func:`plugin_error` (or the
:class:`plugin_guard` context manager) and :func:`check_shape`; the record comes from the
registry (:meth:`~nnplug.registry.Registry.provider_of`).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from nnplug.backend import Backend
from nnplug.base import Dataset, Layer, Loss, Optimizer
from nnplug.errors import NNPlugError, PluginRuntimeError
from nnplug.registry.registry import get_registry
from nnplug.safeio.text import describe_exception, one_line

#: the component kinds, by base class (for components no plugin registered)
_KINDS = (
    ("layer", Layer),
    ("loss", Loss),
    ("optimizer", Optimizer),
    ("dataset", Dataset),
    ("backend", Backend),
)


def _provider(obj: Any, registry: Any) -> Any:
    if registry is None:
        registry = get_registry()
    return registry.provider_of(obj)


def describe_component(obj: Any, registry: Any = None) -> str:
    """``"layer 'leaky_relu' from plugin 'leaky_relu' (nnplug-leaky-relu 0.2.0)"``; for an
    object no plugin registered, its kind, name and class: ``"layer 'plain' (tests.Plain,
    not a registered component)"``."""
    comp = _provider(obj, registry)
    if comp is None:
        cls = obj if isinstance(obj, type) else type(obj)
        kind = next((k for k, base in _KINDS if issubclass(cls, base)), "component")
        name = getattr(obj, "spec_name", None) or getattr(cls, "name", None) or ""
        label = f" '{one_line(str(name).split('/')[-1], 60)}'" if name else ""
        where = one_line(f"{cls.__module__}.{cls.__qualname__}", 80)
        return f"{kind}{label} ({where}, not a registered component)"
    version = f" {comp.version}" if comp.version else ""
    return f"{comp.kind} '{comp.name}' from plugin '{comp.plugin}' ({comp.dist}{version})"


def plugin_error(
    obj: Any, exc: BaseException, action: str, registry: Any = None
) -> PluginRuntimeError:
    """The :class:`PluginRuntimeError` for ``exc`` raised by component ``obj`` in ``action``
    (``"forward"``, ``"backward"``, ``"step"`` …); raise it ``from exc``::

        try:
            y = layer.forward(x)
        except NNPlugError:
            raise
        except Exception as exc:
            raise plugin_error(layer, exc, "forward") from exc
    """
    message = f"{describe_component(obj, registry)} failed in {action}: {describe_exception(exc)}"
    return PluginRuntimeError(message, _provider(obj, registry))


class plugin_guard:  # lower case: used like a function, ``with plugin_guard(layer, "forward"):``
    """Context manager: an exception from component ``obj`` inside the block becomes one
    :class:`PluginRuntimeError` naming it (``SystemExit`` too). ``NNPlugError`` (the
    component reporting bad input itself), ``KeyboardInterrupt`` and ``GeneratorExit``
    pass through unchanged. Costs one method call when nothing fails."""

    __slots__ = ("action", "obj", "registry")

    def __init__(self, obj: Any, action: str = "call", registry: Any = None):
        self.obj, self.action, self.registry = obj, action, registry

    def __enter__(self) -> plugin_guard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, (NNPlugError, KeyboardInterrupt, GeneratorExit)):
            return
        raise plugin_error(self.obj, exc, self.action, self.registry) from exc


def check_shape(
    obj: Any, action: str, array: Any, expected: tuple[int | None, ...], registry: Any = None
) -> None:
    """Raise :class:`PluginRuntimeError` unless ``array`` (what ``obj`` returned from
    ``action``) is an array of shape ``expected``."""
    shape = getattr(array, "shape", None)
    if shape is not None and tuple(shape) == tuple(expected):
        return
    got = f"shape {tuple(shape)}" if shape is not None else f"a {type(array).__name__}"
    raise PluginRuntimeError(
        f"{describe_component(obj, registry)} returned {got} from {action}, "
        f"expected shape {tuple(expected)}",
        _provider(obj, registry),
    )


__all__ = ["check_shape", "describe_component", "plugin_error", "plugin_guard"]
