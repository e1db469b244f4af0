"""What ``nnplug train`` does around :func:`nnplug.nn.training.train`: the log file, the
progress bar and epoch lines, checkpoints and ``--resume``, and keeping the results
(``--save``, ``--metrics-out``, ``--plot``) -- also when the run is interrupted with
Ctrl-C (exit 130) or diverges (exit 1, best model so far still saved)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from nnplug.errors import NNPlugError, TrainingDiverged
from nnplug.nn.training import TrainConfig


def default_log_dir() -> Path:
    """Where the log goes when ``--log-file`` is not given: ``$NNPLUG_LOG_DIR``, else the
    platform's user log directory (``~/.local/state/nnplug/log`` on Linux), never the
    directory the user happens to stand in."""
    from platformdirs import user_log_dir

    return Path(os.environ.get("NNPLUG_LOG_DIR") or user_log_dir("nnplug", appauthor=False))


def default_log_file() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return default_log_dir() / f"train-{stamp}.log"


def make_logger(log_file: str | None) -> tuple[logging.Logger, Path | None]:
    """A logger writing to ``log_file`` (explicit: errors are fatal) or to the default
    file under ``logs/`` (if that cannot be created, a warning and no log file)."""
    logger = logging.getLogger("nnplug.train")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    if log_file == "":
        return logger, None
    path = Path(log_file) if log_file else default_log_file()
    try:
        if not log_file:
            path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        if log_file:
            raise NNPlugError(f"cannot open log file {path}: {exc.strerror or exc}") from None
        click.echo(f"Warning: no log file ({path}: {exc.strerror or exc})", err=True)
        return logger, None
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)
    return logger, path


def summary_line(m: dict[str, Any]) -> str:
    key = "test_accuracy" if m["task"] == "classification" else "test_rmse"
    return (
        f"{m['dataset']}: {key} {m[key]:.4f}  best epoch {m['best_epoch']}/"
        f"{m['epochs_run']}  {m['train_seconds']:.2f}s  "
        f"{m['samples_per_second']:.0f} samples/s  backend {m['backend']}"
    )


def training_info(config: dict[str, Any]) -> dict[str, Any]:
    """What a model file records about its data, so ``nnplug evaluate`` finds the same split."""
    return {
        k: config.get(k) for k in ("dataset", "dataset_options", "seed", "val_fraction", "data_dir")
    }


def keep_results(
    run: Any, *, save: str | None, metrics_out: str | None, plot: str | None, logger: logging.Logger
) -> tuple[list[str], list[str]]:
    """Write the best model, the metrics and the plot, each on its own: one that cannot be
    written (disk full) does not stop the others. Return ``(written, errors)``."""
    from nnplug.files.model import save as save_model
    from nnplug.safeio.outputs import write_json

    m, written, errors = run.metrics, [], []

    def attempt(what: str, path: str, write: Callable[[], object]) -> None:
        try:
            write()
            written.append(f"{what} {path}")
        except NNPlugError as exc:
            errors.append(f"{what}: {exc}")

    if save:
        if m["best_epoch"] > 0:
            extra = training_info(m["config"])
            extra.update(
                best_epoch=m["best_epoch"], metric=m["metric"], best_val_metric=m["best_val_metric"]
            )
            attempt(
                "model", save, lambda: save_model(save, run.model, run.loss, run.data, extra=extra)
            )
        else:
            click.echo(f"No epoch completed: no model saved to {save}", err=True)
    if metrics_out:
        attempt("metrics", metrics_out, lambda: write_json(metrics_out, m))
    if plot and m["history"]:
        from nnplug.cli.plot import plot_history

        attempt(
            "plot",
            plot,
            lambda: plot_history(
                m["history"], plot, metric=m["metric"], title=m["model"], best_epoch=m["best_epoch"]
            ),
        )
    for item in written:
        logger.info("wrote %s", item)
    return written, errors


def check_paths(
    config: TrainConfig,
    *,
    log_file: str | None,
    metrics_out: str | None,
    save: str | None,
    checkpoint_dir: str | None,
    resume: str | None,
    plot: str | None,
) -> None:
    """Before any work: every output can be written, none is an input or another output."""
    from nnplug.files.checkpoint import BEST, LAST
    from nnplug.safeio.outputs import check_distinct, check_output, output_target

    for path, what in ((save, "model"), (metrics_out, "metrics"), (plot, "plot")):
        check_output(path, what)
    if log_file:
        output_target(log_file, "log file")  # a directory, block device or socket: refused
    outputs = [
        ("--save", save),
        ("--metrics-out", metrics_out),
        ("--plot", plot),
        ("--log-file", log_file),
    ]
    if checkpoint_dir:
        outputs += [
            (f"--checkpoint-dir's {name}", os.path.join(checkpoint_dir, name))
            for name in (BEST, LAST)
        ]
    inputs = [("--data", config.dataset_options.get("data"))]
    if resume and not (
        checkpoint_dir and os.path.realpath(checkpoint_dir) == os.path.realpath(resume)
    ):
        inputs.append(("--resume checkpoint", os.path.join(resume, LAST)))
    check_distinct(outputs, inputs)


def run_training(
    config: TrainConfig,
    options: dict[str, Any],
    *,
    quiet: bool,
    log_file: str | None,
    metrics_out: str | None,
    save: str | None,
    checkpoint_dir: str | None,
    resume: str | None,
    plot: str | None,
) -> None:
    """The whole of ``nnplug train`` after option parsing. The checkpoint directory is
    locked for the whole run (a second run on it stops with one line)."""
    from nnplug.safeio.dirlock import DirLock

    checkpoint_dir = checkpoint_dir or resume
    lock = (
        DirLock(
            checkpoint_dir,
            create=not (resume and os.path.realpath(checkpoint_dir) == os.path.realpath(resume)),
        )
        if checkpoint_dir
        else None
    )
    with lock or contextlib.nullcontext():
        _run(
            config,
            options,
            quiet=quiet,
            log_file=log_file,
            metrics_out=metrics_out,
            save=save,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            plot=plot,
        )


def _run(
    config: TrainConfig,
    options: dict[str, Any],
    *,
    quiet: bool,
    log_file: str | None,
    metrics_out: str | None,
    save: str | None,
    checkpoint_dir: str | None,
    resume: str | None,
    plot: str | None,
) -> None:
    from nnplug.cli.progress import EpochPrinter, ProgressBar
    from nnplug.files.checkpoint import Checkpoint, Checkpointer

    checkpoint = Checkpoint(resume) if resume else None
    if checkpoint is not None:
        from nnplug.cli.resume import resumed_config

        config = resumed_config(checkpoint, options, config)
    config.validate()
    check_paths(
        config,
        log_file=log_file,
        metrics_out=metrics_out,
        save=save,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
        plot=plot,
    )
    if plot:
        from nnplug.cli.plot import check_target, require_matplotlib

        check_target(plot)
        require_matplotlib()
    checkpointer = (
        Checkpointer(checkpoint_dir, config, extra=training_info(dataclasses.asdict(config)))
        if checkpoint_dir
        else None
    )
    logger, _ = make_logger(log_file)  # last: a bad option above leaves no log file behind
    callbacks: list[Any] = [ProgressBar()] if not quiet else []
    callbacks.append(EpochPrinter(quiet, logger))
    if checkpointer is not None:
        callbacks.append(checkpointer)
    try:
        _train_and_keep(
            config,
            checkpoint,
            callbacks,
            logger,
            quiet=quiet,
            checkpointer=checkpointer,
            keep={"save": save, "metrics_out": metrics_out, "plot": plot, "logger": logger},
        )
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


def _problems(errors: list[str], written: list[str]) -> str:
    """``'model: cannot write m.npz: ...; kept metrics m.json'``."""
    return "; ".join([*errors, *([f"kept {', '.join(written)}"] if written else [])])


def _train_and_keep(
    config: TrainConfig,
    checkpoint: Any,
    callbacks: list[Any],
    logger: logging.Logger,
    *,
    quiet: bool,
    checkpointer: Any,
    keep: dict[str, Any],
) -> None:
    from nnplug.nn.training import train

    logger.info("config %s", config)
    if checkpoint is not None:
        msg = f"resuming from {checkpoint.path} after epoch {checkpoint.epoch}"
        logger.info(msg)
        if not quiet:
            click.echo(msg)
    try:
        run = train(config, callbacks=callbacks, resume=checkpoint)
    except TrainingDiverged as exc:
        partial = getattr(exc, "run", None)
        kept, errors = keep_results(partial, **keep) if partial is not None else ([], [])
        best = partial.metrics["best_epoch"] if partial is not None else 0
        note = "".join(
            f"; {part}"
            for part in (
                [f"best model so far (epoch {best}) kept in {', '.join(kept)}"]
                if kept and best
                else []
            )
            + errors
        )
        logger.info("diverged: %s%s", exc, note)
        raise TrainingDiverged(f"{exc}{note}") from None
    except NNPlugError as exc:
        logger.info("error: %s", exc)
        raise
    failed = checkpointer.error if checkpointer is not None else None
    if failed is not None:  # a checkpoint could not be written: stopped after that epoch
        run.metrics.update(interrupted=None, error=f"checkpoint: {failed}")
    summary = summary_line(run.metrics)
    logger.info(summary)
    click.echo(summary)
    written, errors = keep_results(run, **keep)
    if failed is not None:
        errors.insert(0, f"checkpoint: {failed}; stopped after epoch {len(run.metrics['history'])}")
    if errors:
        msg = _problems(errors, written)
        logger.info("error: %s", msg)
        raise NNPlugError(msg)
    if run.metrics["interrupted"]:
        import signal

        where = run.metrics["interrupted"]
        term = getattr(run.solver, "stop_signal", None) == signal.SIGTERM
        msg = (
            f"Interrupted{' by SIGTERM' if term else ''} at {where}: kept the best model "
            f"(epoch {run.metrics['best_epoch']}) and the metrics so far"
        )
        logger.info(msg)
        click.echo(msg, err=True)
        click.get_current_context().exit(143 if term else 130)
