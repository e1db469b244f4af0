"""What ``nnplug train`` does around :func:`nnplug.training.train`: the log file, the
progress bar and epoch lines, checkpoints and ``--resume``, and keeping the results
(``--save``, ``--metrics-out``, ``--plot``) -- also when the run is interrupted with
Ctrl-C (exit 130) or diverges (exit 1, best model so far still saved)."""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any

import click

from ..errors import NNPlugError, TrainingDiverged
from ..training import TrainConfig


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


def check_output(path: str | None, what: str) -> None:
    """Fail before training when an output file could not be written later."""
    if not path:
        return
    parent = Path(path).parent
    if parent.exists() and not parent.is_dir():
        raise NNPlugError(f"cannot write {what} {path}: {parent} is not a directory")
    if not parent.is_dir():
        raise NNPlugError(f"cannot write {what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (Path(path).exists() and not os.access(path, os.W_OK)):
        raise NNPlugError(f"cannot write {what} {path}: permission denied")
    if Path(path).is_dir():
        raise NNPlugError(f"cannot write {what} {path}: it is a directory")


def resumed_config(checkpoint: Any, options: dict[str, Any]) -> TrainConfig:
    """The checkpoint's configuration; options given on the command line must agree with
    it, except ``--epochs`` (train longer) and ``--patience``."""
    ctx = click.get_current_context()
    saved = checkpoint.config
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for name, value in options.items():
        source = ctx.get_parameter_source(name)
        if name not in fields or source is None or source.name != "COMMANDLINE":
            continue
        if name in ("epochs", "patience"):
            saved[name] = value
        elif saved.get(name) != value:
            flag = "--" + name.replace("_", "-")
            raise NNPlugError(f"{flag} {value} differs from the checkpoint's "
                              f"{saved.get(name)!r}; drop it when resuming")
    try:
        return TrainConfig(**{k: v for k, v in saved.items() if k in fields})
    except TypeError as exc:
        raise NNPlugError(f"{checkpoint.path} holds an unusable configuration: {exc}") from None


def summary_line(m: dict[str, Any]) -> str:
    key = "test_accuracy" if m["task"] == "classification" else "test_rmse"
    return (f"{m['dataset']}: {key} {m[key]:.4f}  best epoch {m['best_epoch']}/"
            f"{m['epochs_run']}  {m['train_seconds']:.2f}s  "
            f"{m['samples_per_second']:.0f} samples/s  backend {m['backend']}")


def training_info(config: dict[str, Any]) -> dict[str, Any]:
    """What a model file records about its data, so ``nnplug evaluate`` finds the same split."""
    return {k: config.get(k) for k in
            ("dataset", "dataset_options", "seed", "val_fraction", "data_dir")}


def keep_results(run: Any, *, save: str | None, metrics_out: str | None, plot: str | None,
                 logger: logging.Logger) -> list[str]:
    """Write the best model, the metrics and the plot; return what was written."""
    from ..api import save as save_model
    from ..io import write_json

    m, written = run.metrics, []
    if save:
        if m["best_epoch"] > 0:
            extra = training_info(m["config"])
            extra.update(best_epoch=m["best_epoch"], metric=m["metric"],
                         best_val_metric=m["best_val_metric"])
            save_model(save, run.model, run.loss, run.data, extra=extra)
            written.append(f"model {save}")
        else:
            click.echo(f"No epoch completed: no model saved to {save}", err=True)
    if metrics_out:
        write_json(metrics_out, m)
        written.append(f"metrics {metrics_out}")
    if plot and m["history"]:
        from ..plot import plot_history

        plot_history(m["history"], plot, metric=m["metric"], title=m["model"],
                     best_epoch=m["best_epoch"])
        written.append(f"plot {plot}")
    for item in written:
        logger.info("wrote %s", item)
    return written


def run_training(config: TrainConfig, options: dict[str, Any], *, quiet: bool,
                 log_file: str | None, metrics_out: str | None, save: str | None,
                 checkpoint_dir: str | None, resume: str | None, plot: str | None) -> None:
    """The whole of ``nnplug train`` after option parsing."""
    from ..checkpoint import Checkpoint, Checkpointer
    from ..progress import EpochPrinter, ProgressBar

    checkpoint = Checkpoint(resume) if resume else None
    if checkpoint is not None:
        config = resumed_config(checkpoint, options)
        checkpoint_dir = checkpoint_dir or resume
    config.validate()
    for path, what in ((save, "model"), (metrics_out, "metrics"), (plot, "plot")):
        check_output(path, what)
    if plot:
        from ..plot import check_target, require_matplotlib

        check_target(plot)
        require_matplotlib()
    checkpointer = (Checkpointer(checkpoint_dir, config,
                                 extra=training_info(dataclasses.asdict(config)))
                    if checkpoint_dir else None)
    logger, _ = make_logger(log_file)  # last: a bad option above leaves no log file behind
    callbacks: list[Any] = [ProgressBar()] if not quiet else []
    callbacks.append(EpochPrinter(quiet, logger))
    if checkpointer is not None:
        callbacks.append(checkpointer)
    try:
        _train_and_keep(config, checkpoint, callbacks, logger, quiet=quiet,
                        keep=dict(save=save, metrics_out=metrics_out, plot=plot,
                                  logger=logger))
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


def _train_and_keep(config: TrainConfig, checkpoint: Any, callbacks: list[Any],
                    logger: logging.Logger, *, quiet: bool, keep: dict[str, Any]) -> None:
    from ..training import train

    logger.info("config %s", config)
    if checkpoint is not None:
        msg = f"resuming from {checkpoint.path} after epoch {checkpoint.epoch}"
        logger.info(msg)
        if not quiet:
            click.echo(msg)
    try:
        run = train(config, callbacks=callbacks, resume=checkpoint)
    except TrainingDiverged as exc:
        run = getattr(exc, "run", None)
        kept = keep_results(run, **keep) if run is not None else []
        best = run.metrics["best_epoch"] if run is not None else 0
        note = (f"; best model so far (epoch {best}) kept in {', '.join(kept)}"
                if kept and best else "")
        logger.info("diverged: %s%s", exc, note)
        raise TrainingDiverged(f"{exc}{note}") from None
    except NNPlugError as exc:
        logger.info("error: %s", exc)
        raise
    summary = summary_line(run.metrics)
    logger.info(summary)
    click.echo(summary)
    keep_results(run, **keep)
    if run.metrics["interrupted"]:
        where = run.metrics["interrupted"]
        msg = (f"Interrupted at {where}: kept the best model (epoch "
               f"{run.metrics['best_epoch']}) and the metrics so far")
        logger.info(msg)
        click.echo(msg, err=True)
        click.get_current_context().exit(130)
