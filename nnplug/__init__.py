"""nnplug -- a from-scratch NumPy neural-network library built as a plugin framework.

The public API, imported lazily so ``nnplug --help`` stays fast::

    from nnplug import Sequential, Solver, get_registry, use_backend, hookimpl
    model = nnplug.load("model.npz"); model.predict(X)

The layers of the package (``docs/architecture.md``; import-linter enforces them): the
contract a plugin author imports sits at the top -- :mod:`nnplug.base`,
:mod:`nnplug.kernels`, :mod:`nnplug.hookspecs`, :mod:`nnplug.spec`, :mod:`nnplug.options`,
:mod:`nnplug.errors`, :mod:`nnplug.backend`, :mod:`nnplug.counter_rng` -- and the
implementation in subpackages below it: ``safeio``, ``data``, ``registry``, ``runtime``,
``nn``, ``files``, ``sklearn``, ``export``, ``testing``, ``cli``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .hookspecs import hookimpl

#: public name -> the module that defines it (imported on first use)
_LAZY = {
    "Backend": "nnplug.backend",
    "Data": "nnplug.base",
    "Dataset": "nnplug.base",
    "Layer": "nnplug.base",
    "Loss": "nnplug.base",
    "Model": "nnplug.files.model",
    "NNPlugError": "nnplug.errors",
    "Optimizer": "nnplug.base",
    "PluginRuntimeError": "nnplug.errors",
    "Registry": "nnplug.registry.registry",
    "Sequential": "nnplug.nn.sequential",
    "Solver": "nnplug.nn.solver",
    "get_registry": "nnplug.registry.registry",
    "load": "nnplug.files.model",
    "parse_spec": "nnplug.spec",
    "save": "nnplug.files.model",
    "use_backend": "nnplug.runtime.backends",
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
