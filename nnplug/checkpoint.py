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

from .errors import NNPlugError, SpecError
from .io import (CHECKPOINT_FORMAT, FORMAT_VERSION, ModelFileError, read_arrays,
                 save_arrays)
from .solver import EpochRecord, FitResult, FitState, Solver

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


def capture(solver: Solver, config: dict[str, Any] | None = None
            ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(header, arrays)`` holding everything needed to continue ``solver`` bitwise."""
    st, opt = solver.state, solver.optimizer
    arrays = {f"model/{k}": v for k, v in solver.model.state_arrays().items()}
    if st.best_state is not None:
        arrays.update({f"best/{k}": v for k, v in st.best_state.items()})
    for key, slots in opt.state.items():
        arrays.update({f"opt/{key}/{name}": v for name, v in slots.items()})
    scalars = {k: v for k, v in vars(opt).items()
               if isinstance(v, (bool, int, float)) and not isinstance(v, np.generic)}
    result = {f.name: getattr(st.result, f.name) for f in dataclasses.fields(FitResult)
              if f.name != "history"}
    meta = {
        "format": CHECKPOINT_FORMAT, "format_version": FORMAT_VERSION,
        "epoch": st.epoch, "epochs": solver.epochs, "config": config or {},
        "history": [r.as_dict() for r in st.result.history], "result": result,
        "best": list(st.best), "bad_epochs": st.bad_epochs,
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
            raise NNPlugError(f"{self.directory} holds no {LAST}; was it written by "
                              f"--checkpoint-dir?")
        self.meta, self.arrays = read_arrays(self.path, CHECKPOINT_FORMAT)
        if not isinstance(self.meta.get("config"), dict) or "rng" not in self.meta:
            raise ModelFileError(f"{self.path} is an incomplete checkpoint")

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.meta["config"])

    @property
    def epoch(self) -> int:
        return int(self.meta.get("epoch", 0))

    def _part(self, prefix: str) -> dict[str, np.ndarray]:
        return {k[len(prefix):]: v for k, v in self.arrays.items() if k.startswith(prefix)}

    def apply(self, solver: Solver) -> None:
        """Put model, optimizer, RNGs and loop state back; ``solver.fit`` then continues."""
        meta, opt = self.meta, solver.optimizer
        if meta["optimizer"]["name"] != opt.name:
            raise NNPlugError(f"{self.path} was written with optimizer "
                              f"'{meta['optimizer']['name']}', not '{opt.name}'")
        try:
            solver.model.load_state_arrays(self._part("model/"))
        except SpecError as exc:
            raise NNPlugError(f"{self.path} does not match this model: {exc}") from None
        opt.state = {}
        for key, value in self._part("opt/").items():
            pkey, _, name = key.partition("/")
            opt.state.setdefault(pkey, {})[name] = np.array(value)
        for name, value in meta["optimizer"]["scalars"].items():
            setattr(opt, name, value)
        gens = generators(solver)
        if len(gens) != len(meta["rng"]):
            raise NNPlugError(f"{self.path} holds {len(meta['rng'])} random generator states, "
                              f"this run has {len(gens)}")
        for gen, state in zip(gens, meta["rng"]):
            gen.bit_generator.state = state
        result = FitResult(**meta["result"])
        result.history = [EpochRecord(**r) for r in meta["history"]]
        result.interrupted = result.diverged = None
        # early stopping is judged with this run's --patience (it may have been raised)
        result.stopped_early = (solver.patience is not None
                                and int(meta["bad_epochs"]) >= solver.patience)
        best = self._part("best/")
        solver.resume_from(FitState(result=result, best=tuple(meta["best"]),
                                    best_state={k: np.array(v) for k, v in best.items()}
                                    if best else None,
                                    bad_epochs=int(meta["bad_epochs"])))


class Checkpointer:
    """Solver callback writing ``best.npz`` (when the epoch is the best so far) and
    ``last.npz`` (always) into ``directory`` at the end of every epoch."""

    def __init__(self, directory: str | os.PathLike, config: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None):
        self.directory = Path(directory)
        # checked now, created at the first save: a run that fails early leaves nothing
        existing = next(p for p in (self.directory, *self.directory.parents) if p.exists())
        if not existing.is_dir():
            raise NNPlugError(f"cannot create checkpoint directory {self.directory}: "
                              f"{existing} is not a directory")
        if not os.access(existing, os.W_OK):
            raise NNPlugError(f"cannot create checkpoint directory {self.directory}: "
                              f"{existing} is not writable")
        self.config, self.extra = config or {}, dict(extra or {})

    def on_epoch_end(self, solver: Solver, record: EpochRecord) -> None:
        from .api import save

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NNPlugError(f"cannot create checkpoint directory {self.directory}: "
                              f"{exc.strerror or exc}") from None
        result = solver.state.result
        if result.best_epoch == record.epoch:
            extra = {**self.extra, "best_epoch": record.epoch,
                     "best_val_metric": result.best_val_metric}
            save(self.directory / BEST, solver.model, solver.loss, solver.data, extra=extra)
        meta, arrays = capture(solver, self.config)
        save_arrays(self.directory / LAST, arrays, meta)
