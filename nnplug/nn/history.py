"""What a training run keeps: one :class:`EpochRecord` per epoch, the :class:`FitResult`
of a fit, and the :class:`FitState` the loop carries between epochs (what a checkpoint
stores)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: how a metric's name is shortened when a summary must fit a narrow terminal
_SHORT_METRIC = {"accuracy": "acc"}


@dataclass
class EpochRecord:
    """One epoch: mean training loss, train/val metric, validation loss, the learning rate
    of its last step, its wall seconds and throughput."""

    epoch: int
    loss: float
    train_metric: float
    val_metric: float
    val_loss: float
    lr: float
    seconds: float
    samples_per_second: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self, metric: str, width: int | None = None) -> str:
        """The epoch's one-line summary (``nnplug train``, the estimators' ``verbose``):
        ``epoch   3  loss 0.7213  train accuracy 0.8000  val accuracy 0.8000  lr 0.1
        0.05s  25,000 samples/s``. Within ``width`` characters (a terminal's), fields go
        from the end -- samples/s, then ``accuracy`` becomes ``acc``, then lr, seconds, the
        train metric and the loss -- so what is shown keeps the ``name value`` form."""
        epoch, loss = f"epoch {self.epoch:3d}", f"loss {self.loss:.4f}"
        lr, secs = f"lr {self.lr:.4g}", f"{self.seconds:.2f}s"
        rate = f"{self.samples_per_second:,.0f} samples/s"
        short = _SHORT_METRIC.get(metric, metric)
        train = {m: f"train {m} {self.train_metric:.4f}" for m in (metric, short)}
        val = {m: f"val {m} {self.val_metric:.4f}" for m in (metric, short)}
        layouts = [
            [epoch, loss, train[metric], val[metric], lr, secs, rate],
            [epoch, loss, train[metric], val[metric], lr, secs],
            [epoch, loss, train[short], val[short], lr, secs],
            [epoch, loss, train[short], val[short], secs],
            [epoch, loss, train[short], val[short]],
            [epoch, loss, val[short]],
            [epoch, val[short]],
        ]
        lines = ["  ".join(parts) for parts in layouts]
        if width is None:
            return lines[0]
        return next((line for line in lines if len(line) <= width), lines[-1][: max(width, 0)])


@dataclass
class FitResult:
    """The outcome of :meth:`nnplug.nn.solver.Solver.fit` (accumulated across resumes)."""

    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0
    best_val_metric: float = float("nan")
    train_seconds: float = 0.0
    samples_seen: int = 0
    stopped_early: bool = False
    #: "epoch E, step S" when Ctrl-C (or ``Solver.request_stop``) ended the run
    interrupted: str | None = None
    #: the divergence message when the loss became NaN/inf
    diverged: str | None = None
    #: the one-line error when a plugin's component failed while training
    error: str | None = None
    #: seconds spent compiling the training loop (kept out of ``train_seconds``)
    compile_seconds: float = 0.0
    #: "compiled" or "per-op" (how the last fit trained)
    path: str = "per-op"
    #: BLAS threads the last fit used (:mod:`nnplug.runtime.threads`)
    blas_threads: int = 0

    @property
    def samples_per_second(self) -> float:
        return self.samples_seen / self.train_seconds if self.train_seconds > 0 else 0.0


@dataclass
class FitState:
    """Everything the loop carries between epochs (what a checkpoint stores)."""

    result: FitResult = field(default_factory=FitResult)
    #: (val metric, val loss) of the best epoch so far
    best: tuple[float, float] = (float("nan"), float("inf"))
    best_state: dict[str, np.ndarray] | None = None
    bad_epochs: int = 0

    @property
    def epoch(self) -> int:
        """Number of completed epochs."""
        return len(self.result.history)


__all__ = ["EpochRecord", "FitResult", "FitState", "best_copy", "better"]


def best_copy(
    best: dict[str, np.ndarray] | None, state: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """A copy of ``state`` (a network's arrays) for :attr:`FitState.best_state`, written into
    the previous copy where it fits: a new best epoch never holds two copies at once."""
    if best is None or best.keys() != state.keys():
        return {k: v.copy() for k, v in state.items()}
    for key, value in state.items():
        if best[key].shape == value.shape and best[key].dtype == value.dtype:
            best[key][...] = value
        else:
            best[key] = value.copy()
    return best


def better(
    new: tuple[float, float],
    old: tuple[float, float],
    *,
    classification: bool,
    later_ties: bool = False,
) -> bool:
    """Is the epoch with ``(val metric, val loss)`` ``new`` better than ``old``'s?

    Ties on the metric go to the lower loss -- accuracy on a small validation set ties
    often -- or, on a tiny one (``later_ties``: fewer than
    :data:`nnplug.nn.recipes.TINY_VALIDATION` rows), to the later epoch: there the
    accuracy curve is flat after the first epochs and the loss of a dozen rows mostly
    follows the network's growing confidence, so "lowest loss" would restore an early,
    barely trained epoch (docs/defaults.md)."""
    (m_new, l_new), (m_old, l_old) = new, old
    if math.isnan(m_old):
        return not math.isnan(m_new)
    if m_new == m_old:
        return later_ties or l_new < l_old
    return m_new > m_old if classification else m_new < m_old
