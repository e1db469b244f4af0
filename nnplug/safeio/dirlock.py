"""An exclusive lock on a directory (``--checkpoint-dir``, ``--resume``): two runs must not
write ``best.npz`` and ``last.npz`` of the same directory.

The lock is ``fcntl.flock`` on ``DIR/.nnplug.lock``, holding the owner's pid. The kernel
drops it when its process ends, however it ends (even ``kill -9``), so a stale lock file
never blocks a later run. The lock file is removed on release; a directory the lock
created is removed again when the run leaves nothing else in it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from nnplug.errors import NNPlugError

LOCK_NAME = ".nnplug.lock"


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
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as exc:
                self._undo()
                raise NNPlugError(
                    f"cannot lock {self.what} {self.directory}: {exc.strerror or exc}"
                ) from None
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
                    return self
            os.close(fd)  # the file we locked was removed by its previous owner: again
        raise NNPlugError(f"cannot lock {self.what} {self.directory}")  # pragma: no cover

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
        self._undo()  # rmdir fails (and is skipped) when the run wrote something

    def __enter__(self) -> DirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
