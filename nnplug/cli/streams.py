"""Standard output and error that cannot end a command.

``nnplug predict | head -1`` closes the pipe early; ``> /dev/full`` fills a device. Writing
stdout then raises (``BrokenPipeError``, ``OSError: [Errno 28]``) wherever a line is
printed -- in the middle of training, or at the interpreter's final flush. While a command
runs, :func:`guarded_output` puts :class:`Guarded` wrappers in ``sys.stdout`` and
``sys.stderr``: the first write error is remembered, the descriptor is pointed at
``/dev/null`` (so nothing printed later, nor the final flush, fails again) and the command
goes on -- a training run still saves its model. Afterwards, :func:`exit_status` says how
the command ends: quietly with 141 (128 + SIGPIPE, as a program killed by the closed pipe)
for a closed pipe, one line for anything else.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Iterator
from typing import Any

#: the exit status of a command whose stdout was closed early (128 + SIGPIPE)
CLOSED_PIPE_EXIT = 141


def _silence(stream: Any) -> None:
    """Point ``stream``'s descriptor at /dev/null (a real descriptor only: never one that
    is not the stream's own, e.g. under click's test runner)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)


class Guarded:
    """A text stream whose write errors are remembered (:attr:`error`), not raised."""

    def __init__(self, stream: Any):
        self._stream = stream
        self.error: OSError | None = None

    def _failed(self, exc: OSError) -> None:
        if self.error is None:
            self.error = exc
        _silence(self._stream)

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                return int(self._stream.write(text))
            except OSError as exc:
                self._failed(exc)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.error is None:
            try:
                self._stream.flush()
            except OSError as exc:
                self._failed(exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_output() -> Iterator[Guarded]:
    """``sys.stdout``/``sys.stderr`` guarded in the block; yields stdout's guard, whose
    :attr:`~Guarded.error` says whether it failed (checked after a last flush)."""
    out, err = sys.stdout, sys.stderr
    guard, err_guard = Guarded(out), Guarded(err)
    sys.stdout, sys.stderr = guard, err_guard
    try:
        yield guard
    finally:
        guard.flush()
        err_guard.flush()
        sys.stdout, sys.stderr = out, err


def closed_pipe(error: OSError | None) -> bool:
    return error is not None and error.errno in (errno.EPIPE, errno.ECONNRESET)


def exit_status(error: OSError | None) -> tuple[int, str | None]:
    """``(exit code, one-line message or None)`` for a command whose stdout failed with
    ``error`` (``(0, None)``: it did not fail)."""
    if error is None:
        return 0, None
    if closed_pipe(error):
        return CLOSED_PIPE_EXIT, None
    return 1, f"cannot write the standard output: {error.strerror or error}"


__all__ = ["CLOSED_PIPE_EXIT", "Guarded", "closed_pipe", "exit_status", "guarded_output"]
