"""Which backend computes: by name through the registry, ``auto`` by run length, and the
backend of the current context (:func:`use_backend`) -- selection kept out of the
:class:`~nnplug.backend.Backend` contract, as thinc keeps ``use_ops`` out of its ``Ops``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from nnplug.backend import Backend, context_backend, reset_context_backend, set_context_backend
from nnplug.errors import BackendUnavailableError
from nnplug.registry.registry import get_registry

# -- which backend: the model's own, else the one chosen for this context ----------------------
#: the backend used where no model says otherwise (``use_backend`` changes it per context);
#: named by qualified name, so a plugin registering its own "numpy" cannot replace it
DEFAULT_BACKEND = "core/numpy"
#: ``--backend auto``: a compiling backend for runs long enough to repay its start-up
AUTO = "auto"
#: training steps from which ``auto`` picks a compiling backend. Measured on a 2-core
#: machine (docs/backends.md, "Whole commands"): numba's start-up with a warm cache
#: (importing numba, its BLAS, loading the compiled driver) is ~0.45 s, and it saves
#: ~0.15 ms per step of a small network against the NumPy backend, more for larger ones
AUTO_MIN_STEPS = 3000
_instances: dict[str, Backend] = {}


def get_backend(name: str | Backend) -> Backend:
    """The backend ``name`` (created once per process); one-line error if unavailable."""
    if isinstance(name, Backend):
        return name
    comp = get_registry().get("backend", name)
    if comp.qualified_name not in _instances:
        ok, reason = comp.cls.availability()
        if not ok:
            raise BackendUnavailableError(f"backend '{comp.name}' is unavailable: {reason}")
        _instances[comp.qualified_name] = comp.cls()
    return _instances[comp.qualified_name]


def compiles(cls: type) -> bool:
    """Does this backend class offer a compiled path (override :meth:`Backend.compile`)?"""
    return getattr(cls, "compile", None) is not Backend.compile


def auto_backend(steps: int) -> tuple[str, str]:
    """What ``--backend auto`` means for a run of ``steps`` training steps: ``(backend,
    why)``. A compiling backend (nnplug's own first) when one is available and ``steps >=
    AUTO_MIN_STEPS``; else the NumPy reference. ``why`` is one line for the log."""
    if steps < AUTO_MIN_STEPS:
        return DEFAULT_BACKEND, f"{steps} steps: too short to repay a compiled backend's start-up"
    candidates = sorted(
        (c for c in get_registry().components("backend") if compiles(c.cls)),
        key=lambda c: (c.dist.lower() != "nnplug", c.name),
    )
    reasons = []
    for comp in candidates:
        ok, reason = comp.cls.availability()
        if ok:
            return comp.qualified_name, f"{steps} steps: compiled"
        reasons.append(f"{comp.name} is unavailable ({reason})")
    return DEFAULT_BACKEND, "; ".join(reasons) or "no compiling backend is installed"


def compiling_backend() -> Backend:
    """The compiling backend ``--backend auto`` would choose for a long run (nnplug's own
    first), created; a one-line :class:`BackendUnavailableError` naming why none can run."""
    name, why = auto_backend(AUTO_MIN_STEPS)
    if name == DEFAULT_BACKEND:
        raise BackendUnavailableError(f"no compiling backend can run here: {why}")
    return get_backend(name)


def current_backend() -> Backend:
    """The backend of this context: set by :func:`use_backend`, else the default
    (:data:`DEFAULT_BACKEND`, by name through the registry)."""
    backend = context_backend()
    return backend if backend is not None else get_backend(DEFAULT_BACKEND)


@contextlib.contextmanager
def use_backend(backend: str | Backend) -> Iterator[Backend]:
    """``with use_backend("numba"): ...`` -- models and components created (or used
    unbound) in the block compute on ``backend``."""
    chosen = get_backend(backend)
    token = set_context_backend(chosen)
    try:
        yield chosen
    finally:
        reset_context_backend(token)


__all__ = [
    "AUTO",
    "AUTO_MIN_STEPS",
    "DEFAULT_BACKEND",
    "auto_backend",
    "compiles",
    "compiling_backend",
    "current_backend",
    "get_backend",
    "use_backend",
]
