"""Checkpoints: ``--checkpoint-dir DIR`` keeps two files, rewritten atomically each epoch.

* ``best.npz`` -- the best validation model so far, an ordinary model file
  (``nnplug.load``, ``nnplug evaluate``/``predict`` read it);
* ``last.npz`` -- the full state after the last completed epoch: weights and buffers,
  optimizer state (per-parameter arrays plus scalars such as ``lr`` and ``steps``), the
  states of every random generator (shuffling, dropout), the loop state (history, best
  epoch and its weights, epochs without improvement) and the run's configuration.

``--resume DIR`` rebuilds the run from ``last.npz`` and continues; with the same seed it
reaches bitwise the same weights and history as a run that was never interrupted.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from nnplug.errors import NNPlugError
from nnplug.files.container import (
    CHECKPOINT_FORMAT,
    FORMAT_VERSION,
    ModelFileError,
    read_arrays,
    save_arrays,
)
from nnplug.nn.solver import EpochRecord, FitResult, FitState, Solver
from nnplug.safeio.text import one_line

BEST, LAST = "best.npz", "last.npz"


def generators(solver: Solver) -> list[np.random.Generator]:
    """Every distinct random generator the run draws from, in a stable order."""
    found: list[np.random.Generator] = [solver.rng]
    owners = [*solver.model.layers, solver.loss, solver.optimizer]
    for obj in owners:
        for value in vars(obj).values():
            if isinstance(value, np.random.Generator) and all(value is not g for g in found):
                found.append(value)
    return found


def capture(
    solver: Solver, config: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(header, arrays)`` holding everything needed to continue ``solver`` bitwise."""
    st, opt = solver.state, solver.optimizer
    arrays = {f"model/{k}": v for k, v in solver.model.state_arrays().items()}
    if st.best_state is not None:
        arrays.update({f"best/{k}": v for k, v in st.best_state.items()})
    for key, slots in opt.state.items():
        arrays.update({f"opt/{key}/{name}": v for name, v in slots.items()})
    scalars = {
        k: v
        for k, v in vars(opt).items()
        if isinstance(v, (bool, int, float)) and not isinstance(v, np.generic)
    }
    result = {
        f.name: getattr(st.result, f.name)
        for f in dataclasses.fields(FitResult)
        if f.name != "history"
    }
    meta = {
        "format": CHECKPOINT_FORMAT,
        "format_version": FORMAT_VERSION,
        "epoch": st.epoch,
        "epochs": solver.epochs,
        "config": config or {},
        "history": [r.as_dict() for r in st.result.history],
        "result": result,
        "best": list(st.best),
        "bad_epochs": st.bad_epochs,
        "training_steps": solver.model.training_steps,
        "optimizer": {"name": opt.name, "scalars": scalars},
        "rng": [g.bit_generator.state for g in generators(solver)],
    }
    return meta, arrays


class Checkpoint:
    """A loaded ``last.npz``: its run configuration and the state to resume from."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise NNPlugError(f"checkpoint directory {self.directory} not found")
        self.path = self.directory / LAST
        if not self.path.exists():
            raise NNPlugError(
                f"{self.directory} holds no {LAST}; was it written by --checkpoint-dir?"
            )
        self.meta, self.arrays = read_arrays(self.path, CHECKPOINT_FORMAT)
        if not isinstance(self.meta.get("config"), dict) or "rng" not in self.meta:
            raise ModelFileError(f"{self.path} is an incomplete checkpoint")
        for key in ("epoch", "epochs", "bad_epochs"):
            value = self.meta.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ModelFileError(
                    f"{self.path} is a damaged checkpoint ({key} must be a "
                    f"count, not {one_line(repr(value), 40)})"
                )

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.meta["config"])

    @property
    def epoch(self) -> int:
        epoch: int = self.meta["epoch"]
        return epoch

    def _part(self, prefix: str) -> dict[str, np.ndarray]:
        return {k[len(prefix) :]: v for k, v in self.arrays.items() if k.startswith(prefix)}

    def apply(self, solver: Solver) -> None:
        """Put model, optimizer, RNGs and loop state back; ``solver.fit`` then continues."""
        try:
            self._apply(solver)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ModelFileError(f"{self.path} is a damaged checkpoint ({exc})") from None

    def _apply(self, solver: Solver) -> None:
        meta, opt = self.meta, solver.optimizer
        if meta["optimizer"]["name"] != opt.name:
            raise NNPlugError(
                f"{self.path} was written with optimizer "
                f"'{meta['optimizer']['name']}', not '{opt.name}'"
            )
        # parse everything first, then change the solver: a bad file changes nothing
        params = {p.key: p.value for p in solver.model.parameters()}
        state: dict[str, dict[str, np.ndarray]] = {}
        for key, value in self._part("opt/").items():
            pkey, _, name = key.partition("/")
            if pkey not in params or value.shape != params[pkey].shape:
                raise ValueError(f"optimizer state '{key}' does not fit the model")
            state.setdefault(pkey, {})[name] = value.astype(params[pkey].dtype)
        scalars = {}
        for name, value in dict(meta["optimizer"]["scalars"]).items():
            current: Any = getattr(opt, name, None)
            if type(value) is not type(current) and not (
                isinstance(current, float) and type(value) is int
            ):
                raise ValueError(f"optimizer setting '{name}' = {value!r}")
            scalars[name] = type(current)(value)

        def record(r: dict[str, Any]) -> EpochRecord:
            values: dict[str, Any] = {
                f.name: (int if f.name == "epoch" else float)(r[f.name])
                for f in dataclasses.fields(EpochRecord)
            }
            return EpochRecord(**values)

        history = [record(r) for r in meta["history"]]
        saved = meta["result"]
        result = FitResult(
            history=history,
            best_epoch=int(saved["best_epoch"]),
            best_val_metric=float(saved["best_val_metric"]),
            train_seconds=float(saved["train_seconds"]),
            samples_seen=int(saved["samples_seen"]),
        )
        bad_epochs = int(meta["bad_epochs"])
        training_steps = int(meta["training_steps"])  # dropout masks are drawn from it
        m_best, l_best = (float(x) for x in meta["best"])
        # early stopping is judged with this run's --patience (it may have been raised)
        result.stopped_early = solver.patience is not None and bad_epochs >= solver.patience
        gens = generators(solver)
        if len(gens) != len(meta["rng"]):
            raise NNPlugError(
                f"{self.path} holds {len(meta['rng'])} random generator states, "
                f"this run has {len(gens)}"
            )
        for gen, rng_state in zip(
            gens, meta["rng"], strict=True
        ):  # check on a scratch generator first
            type(gen.bit_generator)().state = rng_state
        own, best, best_state = solver.model.state_arrays(), self._part("best/"), None
        current = self._part("model/")
        for what, arrays in (("model", current), ("best model", best)):
            if (arrays or what == "model") and (
                set(arrays) != set(own) or any(arrays[k].shape != v.shape for k, v in own.items())
            ):
                raise NNPlugError(f"{self.path} does not match this model ({what} state)")
        if best:
            best_state = {k: best[k].astype(v.dtype) for k, v in own.items()}
        solver.model.load_state_arrays(current)
        solver.model.training_steps = training_steps
        for gen, rng_state in zip(gens, meta["rng"], strict=True):
            gen.bit_generator.state = rng_state
        opt.state = state
        for name, value in scalars.items():
            setattr(opt, name, value)
        solver.resume_from(
            FitState(
                result=result, best=(m_best, l_best), best_state=best_state, bad_epochs=bad_epochs
            )
        )


class Checkpointer:
    """Solver callback writing ``best.npz`` (when the epoch is the best so far) and
    ``last.npz`` (always) into ``directory`` at the end of every epoch."""

    def __init__(
        self, directory: str | os.PathLike, config: Any = None, extra: dict[str, Any] | None = None
    ):
        self.directory = Path(directory)
        # checked now, created at the first save: a run that fails early leaves nothing
        existing = next(p for p in (self.directory, *self.directory.parents) if p.exists())
        if not existing.is_dir():
            raise NNPlugError(
                f"cannot create checkpoint directory {self.directory}: "
                f"{existing} is not a directory"
            )
        if not os.access(existing, os.W_OK):
            raise NNPlugError(
                f"cannot create checkpoint directory {self.directory}: {existing} is not writable"
            )
        self._config, self.extra = config or {}, dict(extra or {})
        #: the NNPlugError of a failed write (disk full...): the run stops after the epoch
        self.error: NNPlugError | None = None

    @property
    def config(self) -> dict[str, Any]:
        """The run configuration as saved; a dataclass is read at save time, so values
        resolved during ``build`` (e.g. the default ``lr``) are recorded."""
        import dataclasses

        cfg = self._config
        if dataclasses.is_dataclass(cfg):
            assert not isinstance(cfg, type)  # a config instance (TrainConfig), not a class
            return dataclasses.asdict(cfg)
        return dict(cfg)

    def on_epoch_end(self, solver: Solver, record: EpochRecord) -> None:
        """Write the files; when that fails (disk full, ...) keep the error in ``error``
        and ask the solver to stop, so the run can still keep its results."""
        try:
            self._write(solver, record)
        except NNPlugError as exc:
            self.error = exc
            solver.request_stop()

    def _write(self, solver: Solver, record: EpochRecord) -> None:
        from nnplug.files.model import save

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NNPlugError(
                f"cannot create checkpoint directory {self.directory}: {exc.strerror or exc}"
            ) from None
        result = solver.state.result
        if result.best_epoch == record.epoch:
            extra = {
                **self.extra,
                "best_epoch": record.epoch,
                "metric": solver.metric_name,
                "best_val_metric": result.best_val_metric,
            }
            save(self.directory / BEST, solver.model, solver.loss, solver.data, extra=extra)
        meta, arrays = capture(solver, self.config)
        save_arrays(self.directory / LAST, arrays, meta)
