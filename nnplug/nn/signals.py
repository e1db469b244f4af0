"""Stopping cleanly on SIGINT (Ctrl-C) and SIGTERM.

* :class:`StopRequest` -- the training loop's: the first signal asks the loop to stop after
  the current step (the best model, metrics and checkpoint are kept); a second one
  interrupts at once (:class:`Interrupted`).
* :class:`CommandSignals` -- a whole command's (``nnplug train``): before training a signal
  interrupts at once (nothing to keep yet); from the start of training on, the loop's
  handler and then a deferred stop take over, so the results are written -- whole -- before
  the command exits with 130 (SIGINT) or 143 (SIGTERM); a second signal while they are
  written interrupts at once (the write in progress is rolled back).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM that stops at once; ``signum`` says which (the exit code is
    ``128 + signum``)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _handling(handler: Any, enabled: bool = True) -> Iterator[None]:
    """``handler`` for SIGINT and SIGTERM in the block (main thread only)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = [signal.signal(sig, handler) for sig in SIGNALS]
    try:
        yield
    finally:
        for sig, old in zip(SIGNALS, previous, strict=True):
            signal.signal(sig, old)


class StopRequest:
    """Whether the loop was asked to stop, and by which signal (None: by
    :meth:`request`, or not at all)."""

    def __init__(self) -> None:
        self.requested = False
        self.signal: int | None = None

    def request(self) -> None:
        """Stop after the current step, as Ctrl-C does."""
        self.requested = True

    def reset(self) -> None:
        self.requested, self.signal = False, None

    def _handler(self, signum: int, frame: Any) -> None:  # only flags: printing could re-enter
        if self.requested:
            raise Interrupted(signum)
        self.requested = True
        self.signal = signum

    def handling_signals(self, enabled: bool = True) -> contextlib.AbstractContextManager[None]:
        """SIGINT and SIGTERM set the request for the duration of the block (main thread
        only; elsewhere, or with ``enabled=False``, signals keep their handlers)."""
        return _handling(self._handler, enabled)


class CommandSignals(StopRequest):
    """A command's handler of SIGINT and SIGTERM (``with signals.installed():``). It raises
    :class:`Interrupted` until :meth:`defer` (a Solver callback: ``on_fit_start`` defers);
    then it only records the signal (:attr:`signal`), and a second one raises."""

    def __init__(self) -> None:
        super().__init__()
        self.deferring = False

    def _handler(self, signum: int, frame: Any) -> None:
        if not self.deferring:
            raise Interrupted(signum)
        super()._handler(signum, frame)

    def installed(self) -> contextlib.AbstractContextManager[None]:
        return self.handling_signals()

    def defer(self, already: int | None = None) -> None:
        """Record signals from now on; ``already``: the signal that stopped training, so
        that the next one interrupts at once."""
        self.deferring = True
        if already is not None and not self.requested:
            self.requested, self.signal = True, already

    def on_fit_start(self, solver: Any, **info: Any) -> None:
        self.defer()


__all__ = ["SIGNALS", "CommandSignals", "Interrupted", "StopRequest"]
