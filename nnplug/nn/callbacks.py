"""Calling the Solver's callbacks: objects with any of ``on_fit_start``,
``on_epoch_start``, ``on_batch_end``, ``on_epoch_end``, ``on_interrupt``, each called as
``fn(solver, **info)`` with the keywords it accepts (a callback written before an event
gained a keyword -- ``on_batch_end``'s ``n_steps`` and ``samples`` -- keeps working)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

#: the events and the keywords each passes
EVENTS = {
    "on_fit_start": ("path", "not_compiled"),
    "on_epoch_start": ("epoch", "epochs", "steps"),
    "on_batch_end": ("step", "steps", "loss", "n_steps", "samples"),
    "on_epoch_end": ("record",),
    "on_interrupt": (),
}
ALL: frozenset[str] = frozenset({"**"})  # the callback takes any keyword


def accepted(fn: Callable) -> frozenset[str]:
    """The keyword names callback ``fn`` takes (:data:`ALL` for ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return ALL
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return ALL
    return frozenset(params)


class Callbacks:
    """A list of callbacks and what each accepts (looked up once per callback and event)."""

    def __init__(self, callbacks: list[Any] | None = None):
        self.items = list(callbacks or [])
        self._keywords: dict[tuple[int, str], frozenset[str]] = {}

    def emit(self, solver: Any, event: str, **info: Any) -> None:
        for cb in self.items:
            fn: Callable | None = getattr(cb, event, None)
            if fn is None:
                continue
            key = (id(cb), event)
            names = self._keywords.get(key)
            if names is None:
                names = self._keywords[key] = accepted(fn)
            fn(solver, **(info if names is ALL else {k: info[k] for k in names if k in info}))


__all__ = ["ALL", "EVENTS", "Callbacks", "accepted"]
