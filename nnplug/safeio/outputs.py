"""The output-path guard every writer goes through.

* :func:`check_output` -- before any work: the parent exists and is writable, the path is
  not a directory, a block device or a socket.
* :func:`check_distinct` -- no output is one of the inputs (``--data``, ``--model``,
  ``--input``) or another output; paths are compared resolved (symlinks, ``..``) and,
  when both exist, with ``os.path.samefile`` (hard links).
* :func:`output_target` -- where bytes really go: a symlink is followed to its target
  (which is replaced, the link stays); a character device or a fifo (``/dev/null``,
  a pipe) is written *through*, never replaced by a regular file; only a regular file
  (or nothing) is replaced by an atomic rename.
* :func:`part_file` -- the temporary ``.NAME.XXXX.part`` sibling a writer fills before the
  rename. It is ``flock``-ed while its writer lives, so :func:`sweep_parts` removes only
  leftovers of killed writers (unlocked and older than a minute).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import math
import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from nnplug.errors import NNPlugError
from nnplug.safeio.limits import kind_of

#: a .part file younger than this may belong to a writer that has not locked it yet
PART_MIN_AGE = 60.0
THROUGH = "through"
REPLACE = "replace"


def output_target(path: str | os.PathLike, what: str = "output") -> tuple[Path, str]:
    """``(real path, THROUGH | REPLACE)`` for writing ``path``; one line for a path that
    must not be written (a directory, a block device, a socket)."""
    real = Path(os.path.realpath(path))
    try:
        mode = os.stat(real).st_mode
    except (FileNotFoundError, NotADirectoryError):  # check_output says what is missing
        return real, REPLACE
    except OSError as exc:
        raise NNPlugError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return real, REPLACE
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return real, THROUGH
    raise NNPlugError(f"cannot write {what} {path}: it is {kind_of(mode)}")


def check_output(path: str | os.PathLike | None, what: str) -> None:
    """Fail before any work when ``path`` could not be written later."""
    if not path:
        return
    real, how = output_target(path, what)
    if how == THROUGH:
        if not os.access(real, os.W_OK):
            raise NNPlugError(f"cannot write {what} {path}: permission denied")
        return
    parent = real.parent
    if parent.exists() and not parent.is_dir():
        raise NNPlugError(f"cannot write {what} {path}: {parent} is not a directory")
    if not parent.is_dir():
        raise NNPlugError(f"cannot write {what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (real.exists() and not os.access(real, os.W_OK)):
        raise NNPlugError(f"cannot write {what} {path}: permission denied")


def _same(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def check_distinct(
    outputs: Iterable[tuple[str, Any]], inputs: Iterable[tuple[str, Any]] = ()
) -> None:
    """Refuse an output that is an input or another output (``(what, path)`` pairs; empty
    paths are skipped). Outputs that are devices or fifos may be shared (``/dev/null``)."""
    outs = [(w, p) for w, p in outputs if p]
    for what, path in outs:
        for in_what, in_path in inputs:
            if in_path and _same(path, in_path):
                raise NNPlugError(
                    f"{what} {path} is the {in_what} file; writing it would "
                    f"destroy the input: choose another path"
                )
    for i, (what, path) in enumerate(outs):
        for other, other_path in outs[i + 1 :]:
            if _same(path, other_path) and output_target(path, what)[1] == REPLACE:
                raise NNPlugError(
                    f"{what} {path} and {other} {other_path} are the same "
                    f"file; one would overwrite the other: choose two paths"
                )


def _lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def sweep_parts(directory: Path, name: str, min_age: float = PART_MIN_AGE) -> None:
    """Remove ``.NAME.*.part`` files of writers that are gone: unlocked and older than
    ``min_age`` seconds (a live writer holds the lock)."""
    try:
        parts = list(directory.glob(f".{glob.escape(name)}.*.part"))
    except OSError:
        return
    for part in parts:
        with contextlib.suppress(OSError):
            if time.time() - part.lstat().st_mtime < min_age or part.is_symlink():
                continue
            fd = os.open(part, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            try:
                if _lock(fd) and os.path.samestat(os.fstat(fd), part.lstat()):
                    part.unlink()
            finally:
                os.close(fd)


@contextlib.contextmanager
def part_file(final: Path, mode: str = "wb") -> Iterator[tuple[IO[Any], Path]]:
    """A locked temporary sibling of ``final`` (``.NAME.XXXX.part``), opened in ``mode``;
    removed if the block fails. Rename it inside the block: the lock ends with it."""
    sweep_parts(final.parent, final.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    except OSError as exc:
        raise NNPlugError(f"cannot write {final}: {exc.strerror or exc}") from None
    _lock(fd)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh, Path(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Write ``path`` so that a failure (disk full, a crash, an exception) leaves the
    previous content and no partial file: a regular file is replaced by renaming a
    finished temporary sibling over it; a symlink's target is the one replaced; a
    character device or fifo is written through. Any OSError is one line."""
    real, how = output_target(path)
    try:
        if how == THROUGH:
            with open(real, mode) as fh:
                yield fh
            return
        old = real.stat().st_mode & 0o7777 if real.exists() else 0o666 & ~_umask()
        with part_file(real, mode) as (fh, tmp):
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            os.chmod(tmp, old)  # mkstemp makes 0600; keep the old file's mode or the umask's
            os.replace(tmp, real)
    except OSError as exc:
        raise NNPlugError(f"cannot write {path}: {exc.strerror or exc}") from None


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
    with atomic_write(path, "w") as fh:
        json.dump(_finite(obj), fh, indent=2, sort_keys=False, allow_nan=False)
        fh.write("\n")
