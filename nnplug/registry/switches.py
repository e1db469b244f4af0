"""The environment switches that steer plugin loading, and hook-call tracing.

* ``NNPLUG_LOAD_PLUGINS=a,b`` -- load only these third-party plugins (entry-point or
  distribution names); set but empty: none. The built-in plugins (entry points of the
  ``nnplug`` distribution: ``core``, ``datasets``, ``numba``) always load, so the
  zero-option ``nnplug train`` works whatever is listed. Unset: every installed plugin.
* ``NNPLUG_DISABLE_PLUGINS=a,b`` -- skip these plugins, built-ins included; wins over
  ``NNPLUG_LOAD_PLUGINS``.
* ``NNPLUG_TRACE_PLUGINS=1`` -- print every hook call, the plugin that answered it and
  what it registered to stderr (pluggy's hook-call monitoring).
* ``NNPLUG_DEBUG=1`` -- the CLI prints full tracebacks (see :mod:`nnplug.cli`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nnplug.safeio.text import describe_exception, one_line

LOAD_ENV = "NNPLUG_LOAD_PLUGINS"
DISABLE_ENV = "NNPLUG_DISABLE_PLUGINS"
TRACE_ENV = "NNPLUG_TRACE_PLUGINS"
DEBUG_ENV = "NNPLUG_DEBUG"
#: the distribution whose entry points are the built-in plugins
KERNEL_DIST = "nnplug"


def normalise(name: str) -> str:
    """PEP 503 style: ``Nnplug_Leaky.Relu`` and ``nnplug-leaky-relu`` are one name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(variable: str) -> set[str] | None:
    raw = os.environ.get(variable)
    if raw is None:
        return None
    return {normalise(p.strip()) for p in raw.split(",") if p.strip()}


def disabled_plugins() -> set[str]:
    """Normalised entry-point or distribution names in ``NNPLUG_DISABLE_PLUGINS``."""
    return _names(DISABLE_ENV) or set()


def selected_plugins() -> set[str] | None:
    """Normalised names in ``NNPLUG_LOAD_PLUGINS``; ``None`` when unset (load all)."""
    return _names(LOAD_ENV)


def env_flag(variable: str) -> bool:
    """True when ``variable`` is set to anything but ``""``, ``0``, ``false``, ``no``,
    ``off``."""
    return os.environ.get(variable, "").strip().lower() not in ("", "0", "false", "no", "off")


def trace(line: str) -> None:
    """One ``nnplug trace:`` line on stderr (looked up at call time: tests capture it)."""
    print(f"nnplug trace: {line}", file=sys.stderr, flush=True)


def install_tracer(pm: Any, describe: Callable[[str], str]) -> Callable[[], None]:
    """Print each hook call of ``pm``, who answered and how it ended; returns the undo.

    ``describe(plugin_name)`` says e.g. ``leaky_relu (nnplug-leaky-relu 0.2.0)``.
    """

    def before(hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        who = ", ".join(describe(impl.plugin_name) for impl in hook_impls) or "no plugin"
        trace(f"{hook_name}({', '.join(kwargs)}) -> {who}")

    def after(
        outcome: Any, hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> None:
        exc = outcome.exception
        if exc is not None:
            trace(f"{hook_name} raised {describe_exception(exc)}")
        else:
            result = outcome.get_result()
            done = result is None or (
                isinstance(result, list) and not any(r is not None for r in result)
            )
            trace(
                f"{hook_name} ok" if done else f"{hook_name} returned {one_line(repr(result), 120)}"
            )

    return pm.add_hookcall_monitoring(before, after)  # type: ignore[no-any-return]
