"""Stopping a training loop cleanly: the first Ctrl-C (SIGINT) or SIGTERM asks the loop to
stop after the current step (the best model, metrics and checkpoint are kept); a second one
interrupts at once (``KeyboardInterrupt``)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


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

    @contextlib.contextmanager
    def handling_signals(self, enabled: bool = True) -> Iterator[None]:
        """SIGINT and SIGTERM set the request for the duration of the block (main thread
        only; elsewhere, or with ``enabled=False``, signals keep their handlers)."""
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: Any) -> None:  # only flags: printing could re-enter
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            self.signal = signum

        signals = (signal.SIGINT, signal.SIGTERM)
        previous = [signal.signal(sig, handler) for sig in signals]
        try:
            yield
        finally:
            for sig, old in zip(signals, previous, strict=True):
                signal.signal(sig, old)


__all__ = ["StopRequest"]
