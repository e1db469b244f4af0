"""The one exception family a user can cause; the CLI turns it into one line on stderr.

Also what every message built from plugin- or file-supplied text goes through
(:func:`one_line`), and the pieces that name a plugin component failing while it runs
(:class:`PluginRuntimeError`, :func:`plugin_error`, :class:`plugin_guard`,
:func:`check_shape`).
"""

from __future__ import annotations

import re
import unicodedata
from types import TracebackType
from typing import Any

#: ANSI/VT100 escape sequences (colours, cursor movement, OSC titles): dropped whole
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")


def one_line(value: object, limit: int = 200) -> str:
    """``value`` as one short printable line: for anything a plugin or a file supplies.

    Terminal escape sequences are dropped, line breaks and tabs become spaces, other
    control and format characters (e.g. bidi overrides) are shown escaped (``\\x07``,
    ``\\u202e``), runs of spaces collapse, and text beyond ``limit`` characters is cut
    with ``…``.
    """
    text = _ESCAPES.sub("", str(value))
    out = []
    for ch in text:
        if ch in "\r\n\t\v\f":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(ascii(ch)[1:-1])
        else:
            out.append(ch)
    text = " ".join("".join(out).split())
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def describe_exception(exc: BaseException) -> str:
    """``"ValueError: message"`` on one line (just the type when there is no message)."""
    message = one_line(exc)
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


class NNPlugError(Exception):
    """Base class for every error a user can cause (bad option, bad spec, bad file)."""

    exit_code = 1


class SpecError(NNPlugError):
    """A layer spec string could not be parsed or built."""

    exit_code = 2


class UnknownComponentError(NNPlugError):
    """A component name is not registered."""

    exit_code = 2


class PluginConflictError(NNPlugError):
    """Two plugins registered the same component name."""

    exit_code = 2


class BackendUnavailableError(NNPlugError):
    """A backend exists but cannot run here (e.g. numba is not importable)."""

    exit_code = 2


class DataError(NNPlugError):
    """A dataset is missing, corrupt or inconsistent."""


class TrainingDiverged(NNPlugError):
    """The loss became NaN or infinite."""


class PluginRuntimeError(NNPlugError):
    """A plugin's component raised, or returned something malformed, while it ran.

    The message is one line naming the component, its plugin (entry point), distribution
    and version; the original exception is ``__cause__`` (the CLI prints its traceback
    under ``NNPLUG_DEBUG=1``). ``component`` is the registry's record, when known.
    """

    def __init__(self, message: str, component: Any = None):
        super().__init__(message)
        self.component = component


def _provider(obj: Any, registry: Any) -> Any:
    if registry is None:
        from .registry import get_registry

        registry = get_registry()
    return registry.provider_of(obj)


def describe_component(obj: Any, registry: Any = None) -> str:
    """``"layer 'leaky_relu' from plugin 'leaky_relu' (nnplug-leaky-relu 0.2.0)"``; for an
    object no plugin registered, its class name."""
    comp = _provider(obj, registry)
    if comp is None:
        cls = obj if isinstance(obj, type) else type(obj)
        return f"{one_line(cls.__qualname__, 80)} (not a registered component)"
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
