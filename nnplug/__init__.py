"""nnplug -- a from-scratch NumPy neural-network library built as a plugin framework.

Public API (imported lazily so ``nnplug --help`` stays fast)::

    from nnplug import Sequential, Solver, get_registry, use_backend, hookimpl
    model = nnplug.load("model.npz"); model.predict(X)
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from .hookspecs import hookimpl

__version__ = "0.1.0"

_LAZY = {
    "Sequential": "nnplug.model",
    "Solver": "nnplug.solver",
    "Registry": "nnplug.registry",
    "get_registry": "nnplug.registry",
    "use_backend": "nnplug.backend",
    "set_backend": "nnplug.backend",
    "ops": "nnplug.backend",
    "Backend": "nnplug.backend",
    "Layer": "nnplug.base",
    "Loss": "nnplug.base",
    "Optimizer": "nnplug.base",
    "Dataset": "nnplug.base",
    "Data": "nnplug.base",
    "NNPlugError": "nnplug.errors",
    "parse_spec": "nnplug.spec",
    "load": "nnplug.api",
    "Model": "nnplug.api",
}

__all__ = ["__version__", "hookimpl", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nnplug' has no attribute {name!r}")
