"""Lazy numba loading: cache location, the "compiling kernels…" notice, availability.

Call :func:`load_kernels` (never ``import numba`` at module level): it points
numba's on-disk cache at ``$NUMBA_CACHE_DIR`` or, when unset, at
``<user cache dir>/nnplug/numba`` (so a read-only site-packages still caches),
falls back to ``cache=False`` when no directory is writable, and prints
"compiling kernels…" on stderr the first time a kernel is really compiled
(cache hits are silent).
"""
from __future__ import annotations

import os
import sys
import tempfile
from types import ModuleType

_availability: tuple[bool, str] | None = None
#: whether kernels are compiled with ``cache=True`` (set by :func:`configure_cache`)
CACHE = True
CACHE_DIR: str | None = None
_announced = False


def availability() -> tuple[bool, str]:
    """``(True, "")`` if numba imports here, else ``(False, one-line reason)``."""
    global _availability
    if _availability is None:
        try:
            import numba  # noqa: F401  (numba raises ImportError for a too-new NumPy)
        except Exception as exc:  # noqa: BLE001 - any import failure makes it unavailable
            text = str(exc).strip().splitlines()
            reason = text[0] if text else type(exc).__name__
            if isinstance(exc, ModuleNotFoundError) and exc.name == "numba":
                reason = "numba is not installed (pip install 'nnplug[numba]')"
            _availability = (False, reason)
        else:
            _availability = (True, "")
    return _availability


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
        return True
    except OSError:
        return False


def configure_cache() -> str | None:
    """Choose numba's cache directory before the kernels are defined; return it (or None)."""
    global CACHE, CACHE_DIR
    path = os.environ.get("NUMBA_CACHE_DIR")
    if not path:
        import platformdirs

        path = os.path.join(platformdirs.user_cache_dir("nnplug"), "numba")
        os.environ["NUMBA_CACHE_DIR"] = path
    CACHE = _writable(path)
    CACHE_DIR = path if CACHE else None
    if "numba" in sys.modules and CACHE:  # numba read its config already: tell it too
        sys.modules["numba"].config.CACHE_DIR = path
    return CACHE_DIR


def _announce(event) -> None:
    """numba "numba:compile" start: one "compiling kernels…" line per process, ours only."""
    global _announced
    dispatcher = (event.data or {}).get("dispatcher")
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
    if not _announced and module.startswith("nnplug_numba"):
        _announced = True
        print(f"compiling kernels… (once; cached in {CACHE_DIR or 'memory only'})",
              file=sys.stderr, flush=True)


def load_kernels() -> ModuleType:
    """Import numba (configured) and the kernels module; raises ImportError if absent."""
    if "nnplug_numba.kernels" not in sys.modules:
        configure_cache()
        from numba.core import event

        class CompileNotice(event.Listener):
            def on_start(self, ev):
                _announce(ev)

            def on_end(self, ev):
                pass

        event.register("numba:compile", CompileNotice())
    from . import kernels

    return kernels
