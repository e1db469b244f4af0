"""Watching a run: one line per epoch that fits the terminal -- a progress bar (running
mean loss, samples/s, ETA) redrawn in place, then replaced by the epoch's summary line, as
Keras's ``fit`` does.

The bar is drawn only on a terminal, and every line drawn there fits its width
(:func:`shutil.get_terminal_size`, read at each redraw: a resized window is followed);
fields are dropped or shortened to fit. When stdout is a file or a CI log, only the full
one-line epoch summaries appear, so logs stay readable and parseable.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from typing import IO, TYPE_CHECKING, Any, TextIO

import click

if TYPE_CHECKING:
    from nnplug.nn.solver import EpochRecord, Solver

#: the narrowest bar drawn; below it the bar is left out and the counts stay
MIN_BAR, MAX_BAR = 10, 30


def is_terminal(stream: IO[Any] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def columns(width: int | None = None) -> int:
    """The widest line that may be drawn: ``width`` (tests), else the terminal's width
    less one column (a line as wide as the screen wraps on some terminals)."""
    if width is not None:
        return width
    return max(1, shutil.get_terminal_size().columns - 1)


def duration(seconds: float) -> str:
    """``'7s'``, ``'1:05'`` or ``'1:02:03'``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def bar_line(
    epoch: int,
    epochs: int,
    step: int,
    steps: int,
    fields: list[str],
    width: int,
) -> str:
    """``epoch   3/30 [=====>....] 12/41  loss 0.7256  25,000 samples/s  ETA 2s`` within
    ``width`` characters: the bar shrinks (down to :data:`MIN_BAR`), then the last fields
    go, then the bar, then the rest."""
    head = f"epoch {epoch:3d}/{epochs}"
    pos = f"{step:>{len(str(steps))}}/{steps}"
    for keep in range(len(fields), -1, -1):
        tail = "".join(f"  {f}" for f in fields[:keep])
        room = width - len(head) - len(pos) - len(tail) - 4  # spaces and brackets
        if room >= MIN_BAR:
            inner = min(room, MAX_BAR)
            done = inner * step // steps if steps else inner
            arrow = ">" if 0 < done < inner else ""
            bar = "=" * (done - len(arrow)) + arrow + "." * (inner - done)
            return f"{head} [{bar}] {pos}{tail}"
    for keep in range(len(fields), -1, -1):
        line = f"{head} {pos}" + "".join(f"  {f}" for f in fields[:keep])
        if len(line) <= width:
            return line
    return f"{head} {pos}"[:width]


class ProgressBar:
    """Solver callback: one line over the steps of each epoch, redrawn in place (at most
    every ``interval`` seconds) with the running mean loss over the samples seen -- the
    figure the epoch's summary reports at its end -- samples/s and the time left; erased
    at the end of the epoch, so that the summary line takes its place. Silent unless
    ``file`` is a terminal; ``width`` fixes the line width (else the terminal's)."""

    def __init__(
        self, file: TextIO | None = None, *, interval: float = 0.1, width: int | None = None
    ):
        self.file = file if file is not None else sys.stdout
        self.enabled = is_terminal(self.file)
        self.interval = interval
        self.width = width
        self._drawn_width = 0  # characters on the line now; 0: no bar is drawn
        self._active = False

    def on_epoch_start(self, solver: Solver, epoch: int, epochs: int, steps: int) -> None:
        if not self.enabled:
            return
        self._t0 = self._drawn = time.perf_counter()
        self._epoch, self._epochs, self._steps = epoch, epochs, steps
        self._loss_sum, self._samples = 0.0, 0
        self._active = True
        self._draw(0, [])

    def on_batch_end(
        self,
        solver: Solver,
        step: int,
        steps: int,
        loss: float,
        n_steps: int = 1,
        samples: int | None = None,
    ) -> None:
        """``n_steps`` steps over ``samples`` samples ended at ``step`` with mean loss
        ``loss`` (the compiled path reports several steps per call)."""
        if not self._active:
            return
        if samples is None:  # a caller that does not count samples: full batches
            samples = n_steps * solver.batch_size
        self._loss_sum += loss * samples
        self._samples += samples
        now = time.perf_counter()
        if now - self._drawn < self.interval and step < steps:
            return
        elapsed = now - self._t0
        fields = [f"loss {self._loss_sum / max(self._samples, 1):.4f}"]
        if elapsed > 0:
            fields.append(f"{self._samples / elapsed:,.0f} samples/s")
            if step < steps:
                fields.append(f"ETA {duration(elapsed / step * (steps - step))}")
        self._draw(step, fields)
        self._drawn = now

    def _draw(self, step: int, fields: list[str]) -> None:
        line = bar_line(self._epoch, self._epochs, step, self._steps, fields, columns(self.width))
        pad = " " * max(0, self._drawn_width - len(line))  # what the last line left
        self.file.write(f"\r{line}{pad}")
        self.file.flush()
        self._drawn_width = len(line)

    def close(self) -> None:
        """Erase the bar's line, leaving the cursor at its start."""
        if self._active and self._drawn_width:
            self.file.write("\r" + " " * self._drawn_width + "\r")
            self.file.flush()
        self._active, self._drawn_width = False, 0

    def on_epoch_end(self, solver: Solver, record: EpochRecord) -> None:
        self.close()

    def on_interrupt(self, solver: Solver) -> None:
        self.close()


class EpochPrinter:
    """Solver callback: one summary line per epoch (train/val metric, lr, seconds,
    samples/s) to stdout unless ``quiet`` -- on a terminal within its width -- and always
    the full line to ``logger``."""

    def __init__(
        self,
        quiet: bool,
        logger: logging.Logger,
        file: TextIO | None = None,
        *,
        width: int | None = None,
    ):
        self.quiet, self.logger = quiet, logger
        self.file = file
        self.width = width

    def on_fit_start(self, solver: Solver, path: str, not_compiled: str | None) -> None:
        """Say once, in one line, why a compiling backend trains per op."""
        if not_compiled:
            line = f"note: {solver.model.backend.name} trains per op: {not_compiled}"
            self.logger.info(line)
            click.echo(line, err=True)

    def on_epoch_end(self, solver: Solver, record: EpochRecord) -> None:
        self.logger.info(record.summary(solver.metric_name))
        if not self.quiet:
            click.echo(record.summary(solver.metric_name, self.line_width()), file=self.file)

    def line_width(self) -> int | None:
        """The width a line must fit: the terminal's when stdout is one, else None."""
        stream = self.file if self.file is not None else sys.stdout
        return columns(self.width) if self.width is not None or is_terminal(stream) else None
