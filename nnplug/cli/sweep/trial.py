"""One trial of ``nnplug sweep``, run where a worker runs it (a local worker process or a
Dask worker): :func:`run_trial` trains with :func:`nnplug.nn.training.train` -- the same
configuration, defaults and metrics as ``nnplug train`` -- and returns a plain record.

The function writes nothing: the model file travels back as bytes and the sweep's own
process writes every result. A task that runs twice (Dask re-runs the tasks of a worker
that died) therefore leaves no trace of its first run.

Status of a record: ``ok``; ``failed`` -- the trial's own error (it diverged, an option
value is out of range): running it again gives the same, so ``--resume`` keeps it;
``lost`` -- its worker died or was stopped: ``--resume`` runs it again.
"""

from __future__ import annotations

import math
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

OK, FAILED, LOST = "ok", "failed", "lost"


def _number(value: Any) -> float | None:
    """A float for JSON: NaN and inf become None."""
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def where() -> dict[str, Any]:
    """The host, process and CPUs the caller runs on (recorded with every trial)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = []
    return {"worker": f"{socket.gethostname()}:{os.getpid()}", "cpus": cpus}


def base_record(trial: dict[str, Any], status: str, error: str | None = None) -> dict[str, Any]:
    """A record with no metrics (a trial that failed or was lost)."""
    return {
        "id": trial["id"],
        "params": trial["params"],
        "status": status,
        "error": error,
        "metric": None,
        "val_metric": None,
        "val_loss": None,
        "test_metric": None,
        "epochs_run": None,
        "best_epoch": None,
        "seconds": None,
        "train_seconds": None,
        "backend": None,
        "blas_threads": None,
        "metrics": None,
        "model": None,
    }


def metrics_record(trial: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """The record of a trial that trained: the figures of its metrics JSON."""
    test_key = "test_accuracy" if metrics["task"] == "classification" else "test_rmse"
    record = base_record(trial, OK)
    best = metrics["best_epoch"]  # the loss of the epoch the metric comes from: a tie-break
    val_loss = next((h["val_loss"] for h in metrics["history"] if h["epoch"] == best), None)
    record.update(
        metric=metrics["metric"],
        val_metric=_number(metrics["best_val_metric"]),
        val_loss=_number(val_loss),
        test_metric=_number(metrics[test_key]),
        epochs_run=metrics["epochs_run"],
        best_epoch=metrics["best_epoch"],
        train_seconds=metrics["train_seconds"],
        backend=metrics["backend"],
        blas_threads=metrics["blas_threads"],
        metrics=metrics,
    )
    return record


def model_bytes(run: Any) -> bytes | None:
    """The trial's best model as the bytes of an ``nnplug train --save`` file (None when
    no epoch completed), written through the same code as ``--save``."""
    import logging

    from nnplug.cli.trainrun import keep_results
    from nnplug.errors import NNPlugError

    if run.metrics["best_epoch"] < 1:
        return None
    with tempfile.TemporaryDirectory(prefix="nnplug-sweep-") as tmp:
        path = Path(tmp) / "model.npz"
        _, errors = keep_results(
            run,
            save=str(path),
            metrics_out=None,
            plot=None,
            logger=logging.getLogger("nnplug.cli.sweep.run"),
        )
        if errors:
            raise NNPlugError("; ".join(errors))
        return path.read_bytes()


def run_trial(trial: dict[str, Any]) -> dict[str, Any]:
    """Train ``trial`` (:meth:`nnplug.cli.sweep.grid.Trial.as_dict`) and return its record:
    ``metrics`` (the ``--metrics-out`` JSON) and ``model`` (bytes) included. Errors are
    recorded, never raised, so one bad trial never stops a sweep."""
    import numpy as np

    from nnplug.errors import NNPlugError
    from nnplug.nn import training
    from nnplug.runtime import allocator as malloc
    from nnplug.safeio.text import describe_exception, one_line

    start = time.perf_counter()
    try:
        config = training.TrainConfig(
            **trial["options"], dataset_options=dict(trial["dataset_options"])
        )
        # a diverging trial is one line, not NumPy's overflow warnings (np.errstate, unlike
        # the warnings filters, is per thread: a Dask worker may run trials in threads)
        # (Dask's workers run with MALLOC_TRIM_THRESHOLD_ set: see nnplug.runtime.allocator)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), malloc.for_training():
            run = training.train(config)
            if run.metrics["interrupted"]:  # SIGINT/SIGTERM sent to this worker itself
                record = base_record(
                    trial, LOST, f"stopped by a signal at {run.metrics['interrupted']}"
                )
            else:
                record = metrics_record(trial, run.metrics)
                record["model"] = model_bytes(run)
    except NNPlugError as exc:
        record = base_record(trial, FAILED, one_line(exc, 1000))
    except Exception as exc:  # noqa: BLE001 - a bug (ours or a plugin's) fails this trial only
        record = base_record(trial, FAILED, describe_exception(exc))
    record["seconds"] = round(time.perf_counter() - start, 4)
    record.update(where())
    return record
