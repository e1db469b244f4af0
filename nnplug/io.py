"""File helpers: atomic writes (temp file in the same directory + ``os.replace``) and the
``.npz`` container of model and checkpoint files (arrays + a JSON header, no pickle)."""
from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

from .errors import NNPlugError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path``; rename it over ``path`` only on success.

    A crash or exception leaves ``path`` untouched and no temporary behind.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise NNPlugError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; honour the umask instead
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _finite(obj: Any) -> Any:
    """``obj`` with every NaN/inf float replaced by ``None`` (strict JSON has neither)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented, strict JSON (NaN/inf become ``null``), atomically."""
    with atomic_open(path, "w") as fh:
        json.dump(_finite(obj), fh, indent=2, sort_keys=False, allow_nan=False)
        fh.write("\n")


# -- model and checkpoint files: one .npz, arrays + a JSON header, never pickle ---------------

#: the npz member holding the JSON header (UTF-8 bytes as a uint8 array)
META_KEY = "__nnplug__"
MODEL_FORMAT = "nnplug-model"
CHECKPOINT_FORMAT = "nnplug-checkpoint"
FORMAT_VERSION = 1


class ModelFileError(NNPlugError):
    """A model or checkpoint file is missing, corrupt or not an nnplug file."""


class MissingPluginError(NNPlugError):
    """A saved model needs a component whose plugin is not installed."""


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def save_arrays(path: str | os.PathLike, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    """Write ``arrays`` plus the JSON header ``meta`` into one ``.npz``, atomically."""
    import numpy as np

    try:
        header = json.dumps(meta, default=_json_default).encode("utf-8")
    except TypeError as exc:
        raise NNPlugError(f"cannot save {path}: {exc}") from None
    payload = {META_KEY: np.frombuffer(header, dtype=np.uint8)}
    payload.update({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **payload)


def read_arrays(path: str | os.PathLike, fmt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read ``(meta, arrays)`` from a file written by :func:`save_arrays` whose header
    says ``format == fmt``. Object arrays are refused (``allow_pickle=False``)."""
    import zipfile

    import numpy as np

    what = "model" if fmt == MODEL_FORMAT else "checkpoint"
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{what} file {path} not found")
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise ModelFileError(f"{path} is not an nnplug {what} file (not an .npz archive)")
            fh.seek(0)
            with np.load(fh, allow_pickle=False) as npz:
                if META_KEY not in npz.files:
                    raise ModelFileError(f"{path} is not an nnplug {what} file "
                                         f"(no nnplug header)")
                meta = json.loads(npz[META_KEY].tobytes().decode("utf-8"))
                arrays = {k: npz[k] for k in npz.files if k != META_KEY}
    except ModelFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, UnicodeDecodeError,
            KeyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path} is not a readable nnplug {what} file ({reason})") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        found = meta.get("format") if isinstance(meta, dict) else None
        hint = f" (it is a {found} file)" if isinstance(found, str) else ""
        raise ModelFileError(f"{path} is not an nnplug {what} file{hint}")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{path} has a damaged header (format_version {version!r})")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} was written by a newer nnplug (format version "
                             f"{meta.get('format_version')}); upgrade nnplug to read it")
    return meta, arrays


def component_record(kind: str, obj: Any, registry: Any) -> dict[str, Any]:
    """Name, options and providing plugin of a live component, for a model header."""
    comp = registry.get(kind, getattr(obj, "spec_name", None) or type(obj).name)
    return {"name": comp.name, "options": obj.options(), "plugin": comp.plugin,
            "dist": comp.dist, "version": comp.version}


def resolve_component(kind: str, record: dict[str, Any], registry: Any, source: Any) -> Any:
    """The installed component for a saved ``record``; a one-line error naming the
    missing plugin (or the reason it failed to load) when it is not available."""
    from .errors import PluginConflictError, UnknownComponentError

    name, plugin = record.get("name"), record.get("plugin")
    for candidate in (f"{plugin}/{name}", name):
        try:
            return registry.get(kind, candidate)
        except (UnknownComponentError, PluginConflictError):
            continue
    dist, version = record.get("dist") or plugin, record.get("version") or ""
    failed = [f for f in registry.failures if f.plugin == plugin or f.dist == dist]
    if failed:
        why = f"plugin '{plugin}' failed to load ({failed[0].reason})"
    elif plugin in getattr(registry, "disabled", ()):
        why = f"plugin '{plugin}' is disabled by NNPLUG_DISABLE_PLUGINS"
    else:
        why = (f"plugin '{plugin}' (distribution {dist} {version}".rstrip() +
               f") is not installed; install it with: pip install {dist}")
    raise MissingPluginError(f"{source} needs {kind} '{name}': {why}")
