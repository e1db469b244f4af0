"""nnplug -- a from-scratch NumPy neural-network library built as a plugin framework.

Public API (imported lazily so ``nnplug --help`` stays fast)::

    from nnplug import Sequential, Solver, get_registry, use_backend, hookimpl
    model = nnplug.load("model.npz"); model.predict(X)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .hookspecs import hookimpl

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
    "PluginRuntimeError": "nnplug.errors",
    "parse_spec": "nnplug.spec",
    "load": "nnplug.api",
    "Model": "nnplug.api",
}

__all__ = ["__version__", "hookimpl", *_LAZY]


def _version() -> str:
    """The installed distribution's version (stated once, in pyproject.toml); in a source
    checkout that was never installed, the version pyproject.toml states."""
    from importlib import metadata

    try:
        return metadata.version("nnplug")
    except metadata.PackageNotFoundError:
        import re
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        found = (
            re.search(r'^version = "([^"]+)"', pyproject.read_text(encoding="utf-8"), re.M)
            if pyproject.is_file()
            else None
        )
        return found.group(1) if found else "0+unknown"


def __getattr__(name: str) -> Any:
    # __version__ is looked up on first use: importing importlib.metadata and scanning the
    # installed distributions would cost `nnplug --help` ~25 ms
    if name == "__version__":
        globals()["__version__"] = version = _version()
        return version
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nnplug' has no attribute {name!r}")
