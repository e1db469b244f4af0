"""Solver: the training loop -- epochs of minibatch steps, per op or compiled, validation,
the best epoch kept, early stopping.

Guarantees: parameters are updated in place (the layers see every step); each epoch walks
a fresh permutation of the training set; the best validation model is restored at the end
-- also when the loss diverges (NaN/inf) or the user presses Ctrl-C (the run then stops
after the current step); the same ``seed`` on the same backend gives bitwise identical
runs, and a run resumed from a checkpoint (:mod:`nnplug.files.checkpoint`) continues
bitwise identically. What the loop needs besides is in its own modules: the records it
keeps (:mod:`~nnplug.nn.history`), callbacks (:mod:`~nnplug.nn.callbacks`), stopping on
signals (:mod:`~nnplug.nn.signals`), regression targets (:mod:`~nnplug.nn.targets`), the
cause of a divergence (:mod:`~nnplug.nn.divergence`) and the metrics
(:mod:`~nnplug.nn.metrics`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nnplug.base import Data, Loss, Optimizer
from nnplug.errors import NNPlugError, PluginRuntimeError, TrainingDiverged
from nnplug.kernels import NotCompiled
from nnplug.nn.callbacks import Callbacks
from nnplug.nn.divergence import diverged, divergence_cause
from nnplug.nn.history import EpochRecord, FitResult, FitState, best_copy, better
from nnplug.nn.metrics import accuracy, rmse
from nnplug.nn.recipes import TINY_VALIDATION
from nnplug.nn.sequential import Sequential
from nnplug.nn.signals import StopRequest
from nnplug.nn.targets import TargetScaling
from nnplug.registry.blame import plugin_error
from nnplug.runtime import threads

__all__ = ["EpochRecord", "FitResult", "FitState", "Solver"]


class Solver:
    """Trains ``model`` on ``data`` with ``loss`` and ``optimizer``."""

    #: compiled steps per call: small enough for a responsive Ctrl-C and progress bar
    CHUNK_SECONDS = 0.05

    def __init__(
        self,
        model: Sequential,
        loss: Loss,
        optimizer: Optimizer,
        *,
        epochs: int = 30,
        batch_size: int = 64,
        lr_decay: float = 1.0,
        patience: int | None = None,
        seed: int = 0,
        callbacks: list[Any] | None = None,
        handle_sigint: bool = True,
        schedule: Callable[[int, int, int], float] | None = None,
        require_compiled: bool = False,
    ):
        if epochs < 1:
            raise ValueError("epochs must be >= 1")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not 0 < lr_decay <= 1:
            raise ValueError("lr_decay must be in (0, 1]")
        if patience is not None and patience < 1:
            raise ValueError("patience must be >= 1")
        self.model, self.loss, self.optimizer = model, loss, optimizer
        loss.ops = optimizer.ops = model.backend  # the model owns the backend
        self.epochs, self.batch_size, self.lr_decay = epochs, batch_size, lr_decay
        self.patience = patience
        #: ``schedule(step, steps_per_epoch, epochs)``: lr = base_lr * that, before each step
        self.schedule, self.base_lr = schedule, optimizer.lr
        self.rng = np.random.default_rng(seed)
        self._callbacks = Callbacks(callbacks)
        self.classification = loss.task == "classification"
        self.metric_name = "accuracy" if self.classification else "rmse"
        self.handle_sigint = handle_sigint
        self.state = FitState()
        self.data: Data | None = None
        self.targets = TargetScaling(dtype=model.dtype)
        self._resumed = False
        self._stop = StopRequest()
        #: why the last fit trained per op on a compiling backend (one line), else None
        self.not_compiled: str | None = None
        #: False: train per op even where the backend compiles (for comparisons)
        self.compiled = True
        #: True: training per op is an error (``--require-compiled``)
        self.require_compiled = require_compiled
        #: (when this fit started, the training seconds of the fits it continues)
        self._clock = (0.0, 0.0)
        #: ties on the validation metric go to the later epoch (a tiny validation set)
        self.later_ties = False

    @property
    def callbacks(self) -> list[Any]:
        """The callbacks (a list: append to add one)."""
        return self._callbacks.items

    @property
    def stop_signal(self) -> int | None:
        """The signal that stopped the last fit (SIGINT/SIGTERM), else None."""
        return self._stop.signal

    # -- metrics -------------------------------------------------------------------
    def metric(self, outputs: np.ndarray, y: np.ndarray) -> float:
        """Accuracy, or RMSE in the target's own units."""
        if self.classification:
            return accuracy(outputs, y)
        return rmse(self.targets.unscale(outputs), y)

    def better(self, new: tuple[float, float], old: tuple[float, float]) -> bool:
        """Is ``(metric, loss)`` better than ``old``? (:func:`nnplug.nn.history.better`:
        ties go to the lower loss, or on a tiny validation set to the later epoch.)"""
        return better(new, old, classification=self.classification, later_ties=self.later_ties)

    def evaluate(
        self, X: np.ndarray, y: np.ndarray, scale: float = 1.0, exact: bool = False
    ) -> float:
        """The metric over ``X``; ``exact``: through the float64 prediction path that
        ``nnplug.load(...).predict`` uses (``Sequential.predict_raw(exact=True)``)."""
        return self.metric(self.model.predict_raw(X, scale=scale, exact=exact), y)

    # -- control -------------------------------------------------------------------------
    def resume_from(self, state: FitState) -> None:
        """Continue from ``state`` on the next :meth:`fit` (model, optimizer and RNG
        states are restored by :mod:`nnplug.files.checkpoint`)."""
        self.state, self._resumed = state, True

    def request_stop(self) -> None:
        """Stop after the current step, as Ctrl-C does; ``fit`` then returns normally."""
        self._stop.request()

    def _emit(self, event: str, **info: Any) -> None:
        self._callbacks.emit(self, event, **info)

    def _compiled(self) -> Any:
        """The backend's compiled trainer for this model, loss and optimizer, or None --
        then ``not_compiled`` says why when the backend compiles at all."""
        self.not_compiled = None
        if not self.compiled:
            return None
        try:
            return self.model.compiled(self.loss, self.optimizer)
        except NotCompiled as exc:
            self.not_compiled = str(exc)
            return None

    def _batch(self, X: np.ndarray, idx: np.ndarray, scale: float) -> np.ndarray:
        xb: np.ndarray = X[idx].reshape(len(idx), -1).astype(self.model.dtype, copy=False)
        if scale != 1.0:
            xb *= self.model.dtype.type(scale)
        return xb

    # -- training ----------------------------------------------------------------------
    def fit(self, data: Data) -> FitResult:
        """Train until ``epochs``, early stopping, Ctrl-C or divergence; the best
        validation model is in ``self.model`` afterwards in every case."""
        if len(data.X_train) < 2:
            raise ValueError("need at least 2 training samples")
        if not self._resumed:
            self.state = FitState()
        self._resumed = False
        self._stop.reset()
        self.data, st = data, self.state
        self.later_ties = 0 < len(data.X_val) < TINY_VALIDATION
        self.targets = TargetScaling.of(data, self.classification, self.model.dtype)
        trainer = self._compiled()
        if trainer is not None:
            try:
                st.result.compile_seconds += trainer.prepare(data)
            except NotCompiled as exc:  # a plugin's kernels did not compile
                self.not_compiled, trainer = str(exc), None
        if self.require_compiled and trainer is None:
            backend = self.model.backend.name or "reference"
            why = self.not_compiled or f"backend {backend} does not compile"
            raise NNPlugError(f"--require-compiled: training would run per op: {why}")
        st.result.path = "compiled" if trainer is not None else "per-op"
        st.result.blas_threads = self.model.blas_threads(self.batch_size)
        self._emit("on_fit_start", path=st.result.path, not_compiled=self.not_compiled)
        self._clock = (time.perf_counter(), st.result.train_seconds)
        try:
            with (
                self._stop.handling_signals(self.handle_sigint),
                threads.limit(st.result.blas_threads),
            ):
                self._loop(data, st, trainer)
        except TrainingDiverged as exc:
            st.result.diverged = str(exc)
            exc.result = st.result  # type: ignore[attr-defined]
            raise
        except PluginRuntimeError as exc:  # a component failed mid-run: keep what was done
            st.result.error = str(exc)
            exc.result = st.result  # type: ignore[attr-defined]
            raise
        finally:
            self._tick(st.result)
            if st.best_state is not None:
                self.model.load_state_arrays(st.best_state)
            self.model.eval()
        return st.result

    def _tick(self, result: FitResult) -> None:
        """``result.train_seconds``: the seconds of this fit so far plus those before it."""
        start, before = self._clock
        result.train_seconds = before + time.perf_counter() - start

    def _loop(self, data: Data, st: FitState, trainer: Any) -> None:
        model, loss, opt, result = self.model, self.loss, self.optimizer, st.result
        n = len(data.X_train)
        has_val = len(data.X_val) > 0
        n_batches = (n + self.batch_size - 1) // self.batch_size
        for epoch in range(st.epoch + 1, self.epochs + 1):
            if result.stopped_early:
                break
            t0 = time.perf_counter()
            model.train()
            order = self.rng.permutation(n)
            self._emit("on_epoch_start", epoch=epoch, epochs=self.epochs, steps=n_batches)
            run = self._epoch_compiled if trainer is not None else self._epoch_per_op
            total_loss, total_metric, seen, stopped = run(data, order, epoch, n_batches, trainer)
            if stopped:
                return
            result.samples_seen += seen
            train_metric = (
                total_metric / seen if self.classification else math.sqrt(total_metric / seen)
            )
            if has_val and trainer is not None:
                val_loss, val_metric = trainer.evaluate(
                    data.X_val,
                    self.targets.split_targets(data.y_val),
                    data.scale,
                    self.targets.metric_weights(),
                )
            elif has_val:
                val_out = model.predict_raw(data.X_val, scale=data.scale)
                val_metric = self.metric(val_out, data.y_val)
                val_loss = float(loss.forward(val_out, self.targets.loss_targets(data.y_val)))
            else:
                val_metric, val_loss = train_metric, total_loss / seen
            seconds = time.perf_counter() - t0
            rec = EpochRecord(
                epoch,
                total_loss / seen,
                train_metric,
                val_metric,
                val_loss,
                opt.lr,
                seconds,
                seen / seconds if seconds > 0 else 0.0,
            )
            result.history.append(rec)
            if self.better((val_metric, val_loss), st.best):
                # a later tie is kept (tiny validation sets) but is no improvement: patience
                tie = self.later_ties and val_metric == st.best[0]
                st.best = (val_metric, val_loss)
                result.best_val_metric, result.best_epoch = val_metric, epoch
                st.best_state = best_copy(st.best_state, model.state_arrays())
                st.bad_epochs = st.bad_epochs + 1 if tie else 0
            else:
                st.bad_epochs += 1
            if self.schedule is None:
                opt.lr *= self.lr_decay
            if self.patience is not None and st.bad_epochs >= self.patience:
                result.stopped_early = True
            self._tick(result)  # a checkpoint keeps the seconds with the samples seen
            # the state is complete here: a checkpoint taken now resumes bitwise
            self._emit("on_epoch_end", record=rec)

    @staticmethod
    def _guarded(component: Any, action: str, fn: Callable, *args: Any) -> Any:
        """``fn(*args)``; an exception becomes one line naming the component's plugin."""
        try:
            return fn(*args)
        except NNPlugError:
            raise
        except (Exception, SystemExit) as exc:  # sys.exit() in a plugin: its failure
            raise plugin_error(component, exc, action) from exc

    def _diverged(self, value: float, epoch: int, step: int, idx: np.ndarray) -> TrainingDiverged:
        """The error for a non-finite loss at ``step`` (1-based) of ``epoch``, whose batch
        held the rows ``idx``."""
        data = self.data
        assert data is not None  # set by fit(), which is running
        xb, yb = self._batch(data.X_train, idx, data.scale), data.y_train[idx]
        cause = divergence_cause(
            xb,
            yb,
            classification=self.classification,
            targets_scaled=self.targets.active,
            lr=self.optimizer.lr,
        )
        return diverged(value, epoch, step, cause)

    def _interrupt(self, epoch: int, step: int) -> bool:
        if self._stop.requested:
            self.state.result.interrupted = f"epoch {epoch}, step {step}"
            self._emit("on_interrupt")
        return self._stop.requested

    def _epoch_per_op(
        self, data: Data, order: np.ndarray, epoch: int, n_batches: int, trainer: Any
    ) -> tuple[float, float, int, bool]:
        """One epoch, one Python step per minibatch: forward, loss, backward, update."""
        model, loss, opt = self.model, self.loss, self.optimizer
        params = model.parameters()
        total_loss = total_metric = 0.0
        seen = 0
        for b in range(n_batches):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            if len(idx) < 2 and b > 0:
                continue  # a lone trailing sample cannot be batch-normalised
            xb, yb = self._batch(data.X_train, idx, data.scale), data.y_train[idx]
            out = model.forward(xb)
            batch_loss = self._guarded(
                loss, "forward", loss.forward, out, self.targets.loss_targets(yb)
            )
            if not math.isfinite(batch_loss):
                raise self._diverged(batch_loss, epoch, b + 1, idx)
            model.backward(self._guarded(loss, "backward", loss.backward))
            if self.schedule is not None:
                opt.lr = self.base_lr * self.schedule(opt.steps, n_batches, self.epochs)
            self._guarded(opt, "step", opt.step, params)
            total_loss += batch_loss * len(idx)
            total_metric += (
                self.metric(out, yb) if self.classification else self.metric(out, yb) ** 2
            ) * len(idx)
            seen += len(idx)
            self._emit(
                "on_batch_end", step=b + 1, steps=n_batches, loss=batch_loss, samples=len(idx)
            )
            if self._interrupt(epoch, b + 1):
                return total_loss, total_metric, seen, True
        return total_loss, total_metric, seen, False

    def _step_lrs(self, n: int, steps_per_epoch: int) -> np.ndarray:
        """The learning rate of each of the next ``n`` updates."""
        opt = self.optimizer
        if self.schedule is None:
            return np.full(n, opt.lr)
        return np.array(
            [
                self.base_lr * self.schedule(opt.steps + k, steps_per_epoch, self.epochs)
                for k in range(n)
            ]
        )

    def _epoch_compiled(
        self, data: Data, order: np.ndarray, epoch: int, n_batches: int, trainer: Any
    ) -> tuple[float, float, int, bool]:
        """One epoch as compiled calls, each running many steps with no Python between."""
        total_loss = total_metric = 0.0
        seen, b, chunk = 0, 0, 4
        opt = self.optimizer
        while b < n_batches:
            stop = min(b + chunk, n_batches)
            lrs = self._step_lrs(stop - b, n_batches)
            t0 = time.perf_counter()
            steps_before = opt.steps
            loss_sum, metric_sum, count, bad = trainer.train_steps(
                data.X_train,
                self.targets.split_targets(data.y_train),
                order,
                b,
                stop,
                self.batch_size,
                lrs,
                data.scale,
                self.targets.metric_weights(),
            )
            dt = time.perf_counter() - t0
            if opt.steps > steps_before:
                opt.lr = float(lrs[opt.steps - steps_before - 1])
            if bad >= 0:
                idx = order[bad * self.batch_size : (bad + 1) * self.batch_size]
                raise self._diverged(loss_sum, epoch, bad + 1, idx)
            total_loss += loss_sum
            total_metric += metric_sum
            seen += count
            if count:
                self._emit(
                    "on_batch_end",
                    step=stop,
                    steps=n_batches,
                    loss=loss_sum / count,
                    n_steps=stop - b,
                    samples=count,
                )
            b = stop
            if self._interrupt(epoch, b):
                return total_loss, total_metric, seen, True
            # aim each call at CHUNK_SECONDS (doubling at most per call)
            chunk = max(1, min(2 * chunk, int(chunk * self.CHUNK_SECONDS / max(dt, 1e-6))))
        return total_loss, total_metric, seen, False
