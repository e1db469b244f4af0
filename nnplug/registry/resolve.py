"""The one component factory: a parsed spec token (``linear:512``, ``core/relu``) of a
kind -> an instance of the registered class, every option checked against the class's
constructor signature first, every failure one line naming the token.

Everything that makes a component by name -- ``Sequential.from_spec``, training's loss and
optimizer, model files, the conformance kits -- goes through :func:`make_component`.
"""

from __future__ import annotations

import inspect
from typing import Any

from nnplug.errors import NNPlugError, SpecError
from nnplug.registry.blame import plugin_error
from nnplug.registry.registry import Registry, get_registry
from nnplug.spec import ComponentSpec


def make_component(
    kind: str, spec: ComponentSpec, registry: Registry | None = None, **defaults: Any
) -> Any:
    """Instantiate ``spec`` of ``kind``; options in the spec override ``defaults``.

    Any constructor error becomes a one-line :class:`SpecError` naming the token; any other
    exception from the constructor (``SystemExit`` too) is the plugin's, named by
    :func:`~nnplug.registry.blame.plugin_error`.
    """
    registry = registry or get_registry()
    cls = registry.get(kind, spec.name).cls
    options = dict(defaults)
    if spec.positional is not None:
        if not getattr(cls, "positional", None):
            raise SpecError(
                f"bad spec at token {spec.index + 1} '{spec.token}': "
                f"{kind} '{spec.name}' takes no positional value; use key=value"
            )
        options[cls.positional] = spec.positional
    options.update(spec.options)
    problem = _check_options(cls, spec.options, kind, spec.name)
    if problem:
        raise SpecError(f"bad spec at token {spec.index + 1} '{spec.token}': {problem}")
    # options from elsewhere (CLI flags such as --classes): the same check, no token to blame
    problem = _check_options(
        cls, {k: v for k, v in defaults.items() if k not in spec.options}, kind, spec.name
    )
    if problem:
        raise SpecError(problem)
    try:
        obj = cls(**options)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bad spec at token {spec.index + 1} '{spec.token}': {exc}") from None
    except NNPlugError:
        raise
    except (Exception, SystemExit) as exc:  # RuntimeError, RecursionError, sys.exit(): its bug
        raise plugin_error(cls, exc, "__init__", registry) from exc
    obj.spec_name = spec.name
    return obj


def _check_options(cls: Any, given: dict[str, Any], kind: str, name: str) -> str | None:
    """Say what is wrong with ``given`` for ``cls.__init__``, judged by its signature:
    an option it does not take, or a word where its default is a number or a flag."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    known = [n for n, p in params.items() if n != "self" and p.kind is not p.VAR_POSITIONAL]
    for key, value in given.items():
        if key not in params or key == "self":
            return f"{kind} '{name}' has no option '{key}' (options: {', '.join(known) or 'none'})"
        default = params[key].default
        if isinstance(default, bool) and not isinstance(value, bool):
            return f"option '{key}' expects true or false, got {value!r}"
        if (
            isinstance(default, (int, float))
            and not isinstance(default, bool)
            and not isinstance(value, (int, float))
        ):
            return f"option '{key}' expects a number, got {value!r}"
    return None


__all__ = ["make_component"]
