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
* :func:`part_file` -- the temporary ``.NAME.XXXXXXXX.part`` sibling a writer fills before
  the rename. It is ``flock``-ed while its writer lives, so :func:`sweep_parts` removes only
  leftovers of killed writers: files it can tell are its own temporary files (that exact
  name pattern, a regular file of this user's that only its owner may read, as ``mkstemp``
  makes it) whose lock is free and that are older than a minute -- never a user's
  ``.NAME.my notes.part``. :func:`check_output` checks before any work that the sibling's
  name fits the file system's ``NAME_MAX``.

No output may be named ``.nnplug.lock``: that name is the directory lock's
(:mod:`nnplug.safeio.dirlock`), which a run locking that directory truncates and removes.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import math
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from nnplug.errors import NNPlugError
from nnplug.safeio.dirlock import LOCK_NAME
from nnplug.safeio.limits import kind_of

#: a .part file younger than this may belong to a writer that has not locked it yet
PART_MIN_AGE = 60.0
THROUGH = "through"
REPLACE = "replace"
#: what ``mkstemp`` puts between the prefix and the suffix of a temporary name
_RANDOM = r"[a-z0-9_]{8}"
#: the bytes a temporary sibling adds to a name: ``.`` NAME ``.XXXXXXXX.part``
PART_EXTRA = len(".") + len(".XXXXXXXX.part")


def output_target(path: str | os.PathLike, what: str = "output") -> tuple[Path, str]:
    """``(real path, THROUGH | REPLACE)`` for writing ``path``; one line for a path that
    must not be written (a directory, a block device, a socket)."""
    real = Path(os.path.realpath(path))
    if real.name == LOCK_NAME:
        raise NNPlugError(
            f"cannot write {what} {path}: {LOCK_NAME} is the name of nnplug's directory "
            f"lock, which a run locking that directory removes; choose another name"
        )
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
    _check_part_name(real, what, path)


def _check_part_name(real: Path, what: str, path: str | os.PathLike) -> None:
    """The temporary sibling's name (``.NAME.XXXXXXXX.part``) must fit ``NAME_MAX``: a
    legal name of 255 bytes cannot be written that way."""
    try:
        limit = os.pathconf(real.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    length = len(os.fsencode(real.name))
    if length + PART_EXTRA > limit:
        raise NNPlugError(
            f"cannot write {what} {path}: its name is {length} bytes, too long for the "
            f"temporary file written first (at most {limit - PART_EXTRA} bytes here)"
        )


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


def _left_by_us(st: os.stat_result) -> bool:
    """Could this be one of our temporary files: a regular file of this user's, with one
    link, that only its owner may read or write (``mkstemp``'s mode, kept until the
    rename)?"""
    return (
        stat.S_ISREG(st.st_mode)
        and st.st_uid == os.geteuid()
        and st.st_nlink == 1
        and not st.st_mode & 0o077
    )


def sweep_parts(directory: Path, name: str, min_age: float = PART_MIN_AGE) -> None:
    """Remove the ``.NAME.XXXXXXXX.part`` files of writers that are gone: our own temporary
    files (:func:`_left_by_us`, exactly that name pattern), unlocked and older than
    ``min_age`` seconds (a live writer holds the lock). Anything else is the user's."""
    own = re.compile(re.escape(f".{name}.") + _RANDOM + re.escape(".part"))
    try:
        parts = [p for p in directory.glob(f".{glob.escape(name)}.*.part") if own.fullmatch(p.name)]
    except OSError:
        return
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for part in parts:
        with contextlib.suppress(OSError):
            st = part.lstat()
            if time.time() - st.st_mtime < min_age or not _left_by_us(st):
                continue
            fd = os.open(part, flags)
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
