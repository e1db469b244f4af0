"""Lazy numba loading: availability, the on-disk cache location, compile accounting.

Call :func:`load` (never ``import numba`` at module level): it points numba's on-disk
cache at ``$NUMBA_CACHE_DIR`` or, when unset, at ``<user cache dir>/nnplug/numba`` (so a
read-only site-packages still caches), in a subdirectory per hash of the built-in kernel
sources (numba keys a cache entry on its own file's stamp only, so an edited helper in
another file would otherwise reuse stale machine code); it falls back to compiling in
memory when no directory is writable, and counts real compilations (cache hits are not
compilations) so callers can say what was compiled and how long it took.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

_availability: tuple[bool, str] | None = None
#: whether kernels are compiled with ``cache=True`` (set by :func:`configure_cache`)
CACHE = True
CACHE_DIR: str | None = None
#: numba compilations seen so far in this process (see :func:`compilations`)
_compiled: list[str] = []
_loaded = False
#: called once at the next compilation (see :func:`on_compile`)
_notice: Callable[[], None] | None = None
_announced = False


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
                return (
                    f"numba {metadata.version('numba')} supports NumPy < {limit}, "
                    f"this is NumPy {numpy.__version__}"
                )
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
            return False, "numba is not installed (pip install numba)"
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
                reason = "numba is not installed (pip install numba)"
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


def _package_dir(module: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ImportError(f"cannot find {module}")
    return os.path.dirname(spec.origin)


def source_digest(directories: list[str], extra: tuple[str, ...] = ()) -> str:
    """sha256 over every ``.py`` file in ``directories`` (sorted) plus ``extra`` strings."""
    import hashlib

    digest = hashlib.sha256()
    for directory in directories:
        for name in sorted(os.listdir(directory)):
            if name.endswith(".py"):
                digest.update(name.encode())
                with open(os.path.join(directory, name), "rb") as fh:
                    digest.update(fh.read())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:16]


def _local_imports(path: str, name: str) -> set[str]:
    """The modules of ``name``'s top-level package that the file ``path`` (the source of
    module ``name``) imports, absolute and relative, found by reading it."""
    import ast

    with open(path, "rb") as fh:
        tree = ast.parse(fh.read())
    top = name.split(".")[0]
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == top}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                base = parts[: len(parts) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target and target.split(".")[0] == top:
                found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names}
    return found


def module_digest(modules: list[str], extra: tuple[str, ...] = ()) -> str:
    """sha256 over the files of ``modules`` and of every module of their own top-level
    package they import, transitively (what compiled code built from them depends on),
    plus ``extra`` strings. Other files of a plugin (its ONNX converters, its plugin
    module) are not part of it."""
    import hashlib
    import importlib.util

    seen: dict[str, str] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue  # a class or function imported by name, or not a source file
        seen[name] = spec.origin
        todo += sorted(_local_imports(spec.origin, name))
    digest = hashlib.sha256()
    for name in sorted(seen):
        digest.update(name.encode())
        with open(seen[name], "rb") as fh:
            digest.update(fh.read())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:16]


def _source_tag() -> str:
    """Hash of the built-in kernel sources and the versions they were compiled with."""
    from importlib import metadata

    versions = []
    for dist in ("numba", "llvmlite", "numpy", "scipy"):
        try:
            versions.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist}=?")
    return source_digest(
        [os.path.dirname(os.path.abspath(__file__)), _package_dir("nnplug_core.kernels")],
        tuple(versions),
    )


def configure_cache() -> str | None:
    """Choose the kernels' cache directory: ``$NUMBA_CACHE_DIR`` or the user cache dir,
    one subdirectory per source hash. ``None`` (compile in memory) if unwritable."""
    global CACHE, CACHE_DIR
    base = os.environ.get("NUMBA_CACHE_DIR")
    if not base:
        import platformdirs

        base = os.path.join(platformdirs.user_cache_dir("nnplug"), "numba")
    path = os.path.join(base, _source_tag())
    CACHE = _writable(path)
    CACHE_DIR = path if CACHE else None
    return CACHE_DIR


def on_compile(callback: Callable[[], None] | None) -> None:
    """Call ``callback`` once, when numba next compiles (not when it loads from cache)."""
    global _notice
    _notice = callback


def compilations() -> int:
    """How many functions numba has compiled (not loaded from cache) in this process."""
    return len(_compiled)


def load() -> None:
    """Import and configure numba (once); a one-line :class:`BackendUnavailableError` if
    it cannot be imported."""
    global _loaded
    if _loaded:
        return
    configure_cache()
    from nnplug.runtime.threads import quiet_spinning

    quiet_spinning()  # SciPy's BLAS (the one compiled kernels call) loads with numba
    ok, reason = _import_numba()
    if not ok:
        from nnplug.errors import BackendUnavailableError

        raise BackendUnavailableError(f"backend 'numba' is unavailable: {reason}")
    import numba
    from numba.core import event

    _discard_damaged_entries()

    if CACHE:  # read when each kernel is decorated, i.e. when kernel modules are imported
        # numba.config's settings are module attributes set at import, unknown to mypy
        numba.config.CACHE_DIR = CACHE_DIR  # type: ignore[attr-defined]

    class CompileCounter(event.Listener):
        def on_start(self, ev):
            global _notice, _announced
            dispatcher = (ev.data or {}).get("dispatcher")
            _compiled.append(getattr(getattr(dispatcher, "py_func", None), "__qualname__", "?"))
            if _notice is not None:
                notice, _notice, _announced = _notice, None, True
                notice()
            elif not _announced:  # per-op kernels: say it once per process
                _announced = True
                print(
                    f"nnplug: compiling numba kernels (once; cached in "
                    f"{CACHE_DIR or 'memory only'})…",
                    file=sys.stderr,
                    flush=True,
                )

        def on_end(self, ev):
            pass

    event.register("numba:compile", CompileCounter())
    _loaded = True


def _discard_damaged_entries() -> None:
    """Make a damaged cache entry (a truncated index, a garbled data file) a cache miss:
    numba's own loader raises, so every later run would fail the same way until the user
    found the cache. The entry's index is removed, the function compiles again (and is
    cached again), and one note says so."""
    from numba.core import caching

    original = caching.Cache.load_overload
    if getattr(original, "nnplug_guarded", False):
        return
    told: list[str] = []

    def load_overload(self: Any, sig: Any, target_context: Any) -> Any:
        try:
            return original(self, sig, target_context)
        except Exception as exc:  # noqa: BLE001 - any damage means: compile again
            index = getattr(getattr(self, "_cache_file", None), "_index_path", None)
            if index:
                with contextlib.suppress(OSError):
                    os.unlink(index)
            if not told:
                told.append(index or "?")
                print(
                    f"nnplug: discarded a damaged numba cache entry ({index}: "
                    f"{type(exc).__name__}); compiling it again",
                    file=sys.stderr,
                    flush=True,
                )
            return None

    load_overload.nnplug_guarded = True  # type: ignore[attr-defined]
    caching.Cache.load_overload = load_overload  # type: ignore[method-assign]
