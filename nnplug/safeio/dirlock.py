"""An exclusive lock on a directory (``--checkpoint-dir``, ``--resume``): two runs must not
write ``best.npz`` and ``last.npz`` of the same directory.

The lock is ``fcntl.flock`` on ``DIR/.nnplug.lock``, holding the owner's pid. The kernel
drops it when its process ends, however it ends (even ``kill -9``), so a stale lock file
never blocks a later run. The lock file is removed on release; a directory the lock
created is removed again when the run leaves nothing else in it.

The lock file is opened with ``O_NOFOLLOW`` and must be a regular file with one link: a
symlink (or hard link) planted as ``DIR/.nnplug.lock`` is refused, never followed to a
file it would truncate. A process forked while the lock is held (``nnplug sweep``'s
workers) closes its inherited descriptor at once: only the locking process holds the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import weakref
from pathlib import Path

from nnplug.errors import NNPlugError
from nnplug.safeio.limits import kind_of

LOCK_NAME = ".nnplug.lock"
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)

#: the locks this process holds (a forked child closes their descriptors)
_HELD: weakref.WeakSet[DirLock] = weakref.WeakSet()


def _forget_in_child() -> None:
    """In a forked child: close the inherited lock descriptors (closing, never unlocking:
    the lock stays the parent's) and forget them, so the child never holds a lock whose
    owner died, nor removes the lock file."""
    for lock in list(_HELD):
        if lock._fd is not None:
            with contextlib.suppress(OSError):
                os.close(lock._fd)
            lock._fd = None
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def lock_file_of(directory: str | os.PathLike) -> str:
    """The lock file's path in ``directory`` (resolved): an output must not be it."""
    return os.path.join(os.path.realpath(directory), LOCK_NAME)


class DirLock:
    """``with DirLock(path, create=True):`` -- the directory is ours until the block ends."""

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        create: bool = True,
        what: str = "checkpoint directory",
    ):
        self.directory, self.create, self.what = Path(directory), create, what
        self.path = self.directory / LOCK_NAME
        self._fd: int | None = None
        self._created = False

    def _prepare(self) -> None:
        d = self.directory
        if d.is_dir():
            return
        if not self.create or d.exists():
            what = "is not a directory" if d.exists() else "not found"
            raise NNPlugError(f"{self.what} {d} {what}")
        existing = next(p for p in (d, *d.parents) if p.exists())
        if not existing.is_dir():
            raise NNPlugError(f"cannot create {self.what} {d}: {existing} is not a directory")
        try:
            d.mkdir(parents=True)
        except OSError as exc:
            raise NNPlugError(f"cannot create {self.what} {d}: {exc.strerror or exc}") from None
        self._created = True

    def acquire(self) -> DirLock:
        self._prepare()
        for _ in range(100):  # retried only when the lock file is replaced under us
            try:
                fd = os.open(self.path, _FLAGS, 0o644)
            except OSError as exc:
                self._undo()
                raise NNPlugError(
                    f"cannot lock {self.what} {self.directory}: {self._why(exc)}"
                ) from None
            problem = self._not_ours(fd)
            if problem:
                os.close(fd)
                self._undo()
                raise NNPlugError(
                    f"cannot lock {self.what} {self.directory}: {self.path} is {problem}, "
                    f"not nnplug's lock file; remove it"
                )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                owner = os.read(fd, 32).decode("ascii", "replace").strip()
                os.close(fd)
                self._undo()
                pid = f" (pid {owner})" if owner.isdigit() else ""
                raise NNPlugError(
                    f"{self.what} {self.directory} is in use by another nnplug "
                    f"run{pid}; wait for it to finish or choose another "
                    f"directory"
                ) from None
            with contextlib.suppress(OSError):
                if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                    os.ftruncate(fd, 0)
                    os.write(fd, f"{os.getpid()}\n".encode())
                    self._fd = fd
                    _HELD.add(self)
                    return self
            os.close(fd)  # the file we locked was removed by its previous owner: again
        raise NNPlugError(f"cannot lock {self.what} {self.directory}")  # pragma: no cover

    def _why(self, exc: OSError) -> str:
        if os.path.islink(self.path):  # O_NOFOLLOW: ELOOP
            return f"{self.path} is a symbolic link, not nnplug's lock file; remove it"
        return exc.strerror or str(exc)

    @staticmethod
    def _not_ours(fd: int) -> str | None:
        """What the opened lock file is if it cannot be ours: not a regular file, or a
        file with other names (a hard link to someone's file)."""
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return kind_of(st.st_mode)
        if st.st_nlink > 1:
            return f"a file with {st.st_nlink} links (a hard link)"
        return None

    def _undo(self) -> None:
        if self._created:
            with contextlib.suppress(OSError):
                self.directory.rmdir()
            self._created = False

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # still locked: nobody can take a file that is going away
        os.close(self._fd)
        self._fd = None
        _HELD.discard(self)
        self._undo()  # rmdir fails (and is skipped) when the run wrote something

    def __enter__(self) -> DirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
