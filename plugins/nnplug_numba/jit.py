"""Lazy numba loading: cache location, the "compiling kernels…" notice, availability.

Call :func:`load_kernels` (never ``import numba`` at module level): it points
numba's on-disk cache at ``$NUMBA_CACHE_DIR`` or, when unset, at
``<user cache dir>/nnplug/numba`` (so a read-only site-packages still caches), in a
subdirectory per kernel-source hash; it falls back to ``cache=False`` when no directory
is writable, and prints "compiling kernels…" on stderr the first time a kernel is
really compiled (cache hits are silent).
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
#: the modules whose ``@njit`` functions :func:`load_kernels` collects
KERNEL_MODULES = ("kernels", "step_kernels")
_kernels: ModuleType | None = None


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _numpy_too_new() -> str:
    """The reason numba would refuse this NumPy (from numba's metadata), or ''."""
    from importlib import metadata

    import numpy

    for req in metadata.requires("numba") or []:
        name, _, spec = req.partition("<")
        if name.strip() == "numpy" and spec and not spec.startswith("="):
            limit = spec.split(",")[0].split(";")[0].strip()
            if _version(numpy.__version__) >= _version(limit):
                return (f"numba {metadata.version('numba')} supports NumPy < {limit}, "
                        f"this is NumPy {numpy.__version__}")
    return ""


def availability() -> tuple[bool, str]:
    """``(True, "")`` if numba should import here, else ``(False, one-line reason)``.

    Cheap: it looks for the installed distribution and its NumPy bound without
    importing numba (``nnplug plugins`` stays light); once an import was tried, its
    real outcome is the answer (see :func:`load_kernels`).
    """
    global _availability
    if _availability is None:
        import importlib.util

        if sys.modules.get("numba", False) is None or importlib.util.find_spec("numba") is None:
            return False, "numba is not installed (pip install 'nnplug[numba]')"
        try:
            too_new = _numpy_too_new()
        except Exception:  # noqa: BLE001 - odd metadata: let the real import decide
            too_new = ""
        return (False, too_new) if too_new else (True, "")
    return _availability


def _import_numba() -> tuple[bool, str]:
    """Import numba once and remember the outcome as the availability."""
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


def _source_tag() -> str:
    """Hash of the kernel sources: numba keys its cache on the defining file's stamp only,
    so an edited inlined helper (rows.py) would otherwise reuse stale kernels."""
    import hashlib

    here = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for name in KERNEL_MODULES + ("rows",):
        with open(os.path.join(here, f"{name}.py"), "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:12]


def configure_cache() -> str | None:
    """Choose the kernels' cache directory: ``$NUMBA_CACHE_DIR`` or the user cache dir,
    one subdirectory per kernel-source hash. ``None`` (compile in memory) if unwritable."""
    global CACHE, CACHE_DIR
    base = os.environ.get("NUMBA_CACHE_DIR")
    if not base:
        import platformdirs

        base = os.path.join(platformdirs.user_cache_dir("nnplug"), "numba")
    path = os.path.join(base, _source_tag())
    CACHE = _writable(path)
    CACHE_DIR = path if CACHE else None
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
    """Import numba (configured) and the kernel modules; a one-line
    :class:`BackendUnavailableError` if numba cannot be imported. Returns one namespace
    holding every kernel."""
    global _kernels
    if _kernels is None:
        configure_cache()
        ok, reason = _import_numba()
        if not ok:
            from nnplug.errors import BackendUnavailableError

            raise BackendUnavailableError(f"backend 'numba' is unavailable: {reason}")
        import importlib

        import numba
        from numba.core import event

        if CACHE:  # read when each kernel is decorated, i.e. at the imports below
            numba.config.CACHE_DIR = CACHE_DIR

        class CompileNotice(event.Listener):
            def on_start(self, ev):
                _announce(ev)

            def on_end(self, ev):
                pass

        event.register("numba:compile", CompileNotice())
        namespace = ModuleType("nnplug_numba.all_kernels")
        for name in KERNEL_MODULES:
            module = importlib.import_module(f"{__package__}.{name}")
            for attr, value in vars(module).items():  # the kernels defined there (plain
                # functions under NUMBA_DISABLE_JIT=1, dispatchers otherwise)
                if (not attr.startswith("_") and callable(value)
                        and getattr(value, "__module__", None) == module.__name__):
                    setattr(namespace, attr, value)
        _kernels = namespace
    return _kernels
