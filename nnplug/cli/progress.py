"""Watching a run: a per-epoch progress bar (loss, throughput) and the epoch summary line.

The bar is drawn only on a terminal; when stdout is a file or a CI log, only the
one-line epoch summaries appear, so logs stay readable.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO, TYPE_CHECKING, Any, TextIO

import click

if TYPE_CHECKING:
    from nnplug.nn.solver import EpochRecord, Solver


def is_terminal(stream: IO[Any] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Solver callback: a click progress bar over the steps of each epoch, showing the
    running mean loss and samples/s (redrawn at most every ``interval`` seconds).
    Silent unless ``file`` is a terminal."""

    def __init__(self, file: TextIO | None = None, *, interval: float = 0.1):
        self.file = file if file is not None else sys.stdout
        self.enabled = is_terminal(self.file)
        self.interval = interval
        self._bar: Any = None

    def on_epoch_start(self, solver: Solver, epoch: int, epochs: int, steps: int) -> None:
        if not self.enabled:
            return
        self._t0 = self._drawn = time.perf_counter()
        self._loss_sum, self._steps, self._pending = 0.0, 0, 0
        self._bar = click.progressbar(
            length=steps,
            label=f"epoch {epoch}/{epochs}",
            file=self.file,
            show_eta=True,
            show_percent=False,
            show_pos=True,
            item_show_func=lambda text: text,
        )
        self._bar.__enter__()

    def on_batch_end(
        self, solver: Solver, step: int, steps: int, loss: float, n_steps: int = 1
    ) -> None:
        """``n_steps`` steps ended at ``step`` with mean loss ``loss`` (the compiled path
        reports several steps per call)."""
        if self._bar is None:
            return
        self._loss_sum += loss * n_steps
        self._steps += n_steps
        self._pending += n_steps
        now = time.perf_counter()
        if now - self._drawn < self.interval and step < steps:
            return
        elapsed = now - self._t0
        rate = self._steps * solver.batch_size / elapsed if elapsed > 0 else 0.0
        self._bar.update(
            self._pending, f"loss {self._loss_sum / self._steps:.4f}  {rate:,.0f} samples/s"
        )
        self._pending, self._drawn = 0, now

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def on_epoch_end(self, solver: Solver, record: EpochRecord) -> None:
        self.close()

    def on_interrupt(self, solver: Solver) -> None:
        self.close()


class EpochPrinter:
    """Solver callback: one summary line per epoch (train/val metric, lr, seconds,
    samples/s) to stdout unless ``quiet``, and always to ``logger``."""

    def __init__(self, quiet: bool, logger: logging.Logger):
        self.quiet, self.logger = quiet, logger

    def on_fit_start(self, solver: Solver, path: str, not_compiled: str | None) -> None:
        """Say once, in one line, why a compiling backend trains per op."""
        if not_compiled:
            line = f"note: {solver.model.backend.name} trains per op: {not_compiled}"
            self.logger.info(line)
            click.echo(line, err=True)

    def on_epoch_end(self, solver: Solver, record: EpochRecord) -> None:
        line = record.summary(solver.metric_name)
        self.logger.info(line)
        if not self.quiet:
            click.echo(line)
