"""The run's log file (``--log-file``, or the default one): a handler whose write errors --
a full disk, ``--log-file /dev/full``, ``ulimit -f`` -- stop logging after one line instead of
logging's ``--- Logging error ---`` traceback for every record."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click


class LogFile(logging.FileHandler):
    """``logging.FileHandler`` that remembers its first write error (:attr:`error`, one
    line) and then writes nothing more. ``explicit``: the user named the file, so the
    command reports the error at its end; a default log file says so at once, in a
    warning, and the run is not failed for it."""

    def __init__(self, path: str | Path, *, explicit: bool):
        super().__init__(path, encoding="utf-8")
        self.explicit = explicit
        self.error: str | None = None

    def _failed(self, exc: BaseException | None) -> None:
        if self.error is not None:
            return
        why = getattr(exc, "strerror", None) or exc or "write error"
        self.error = f"cannot write {self.baseFilename}: {why}"
        if not self.explicit:
            click.echo(f"Warning: log file: {self.error}; logging stopped", err=True)

    def emit(self, record: logging.LogRecord) -> None:
        if self.error is None:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed(sys.exc_info()[1])

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            self._failed(exc)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:  # the last flush of a file that could not be written
            self._failed(exc)


def log_error(logger: logging.Logger) -> str | None:
    """The write error of ``logger``'s log file the user named, else None."""
    for handler in logger.handlers:
        if isinstance(handler, LogFile) and handler.explicit and handler.error:
            return handler.error
    return None


__all__ = ["LogFile", "log_error"]
