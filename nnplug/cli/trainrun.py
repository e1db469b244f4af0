"""What ``nnplug train`` does around :func:`nnplug.nn.training.train`: the log file
(:mod:`~nnplug.cli.trainlog`), the progress bar and epoch lines (:mod:`~nnplug.cli.progress`),
checkpoints and ``--resume`` (:mod:`~nnplug.cli.resuming`), keeping the results (``--save``,
``--metrics-out``, ``--plot``) and the lines that end the run (:mod:`~nnplug.cli.trainreport`)
-- also when the run is interrupted with Ctrl-C (exit 130) or SIGTERM (143), diverges or a
plugin fails while it trains (exit 1, best model so far still saved). SIGINT and SIGTERM are
handled for the whole command (:class:`~nnplug.nn.signals.CommandSignals`): a signal while
the results are written lets them be written whole first."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable
from typing import Any

import click

from nnplug.cli.resuming import resumed_config
from nnplug.cli.trainlog import make_logger
from nnplug.cli.trainreport import interrupted_line, report_end
from nnplug.errors import NNPlugError, PluginRuntimeError, TrainingDiverged
from nnplug.nn.signals import CommandSignals
from nnplug.nn.training import TrainConfig


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
        from nnplug.cli.plot import architecture, plot_history, run_title

        attempt(
            "plot",
            plot,
            lambda: plot_history(
                m["history"],
                plot,
                metric=m["metric"],
                title=run_title(m),
                subtitle=architecture(m["model"]),
                best_epoch=m["best_epoch"],
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
    signals = CommandSignals()
    with signals.installed(), lock or contextlib.nullcontext():
        _run(
            config,
            options,
            signals,
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
    signals: CommandSignals,
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
    logger, log_path = make_logger(log_file)  # last: a bad option above leaves no log behind
    callbacks: list[Any] = [signals] + ([ProgressBar()] if not quiet else [])
    callbacks.append(EpochPrinter(quiet, logger))
    if checkpointer is not None:
        callbacks.append(checkpointer)
    try:
        _train_and_keep(
            config,
            checkpoint,
            callbacks,
            logger,
            signals,
            quiet=quiet,
            checkpointer=checkpointer,
            log=(log_path, log_file),
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
    signals: CommandSignals,
    *,
    quiet: bool,
    checkpointer: Any,
    log: tuple[Any, str | None],
    keep: dict[str, Any],
) -> None:
    """Train, report, keep the results. ``log``: (the log's path or None, --log-file)."""
    from nnplug.nn.training import train

    logger.info("config %s", config)
    if checkpoint is not None:
        msg = f"resuming from {checkpoint.path} after epoch {checkpoint.epoch}"
        logger.info(msg)
        if not quiet:
            click.echo(msg)
    try:
        run = train(config, callbacks=callbacks, resume=checkpoint)
    except (TrainingDiverged, PluginRuntimeError) as exc:
        partial = getattr(exc, "run", None)
        signals.defer(partial.solver.stop_signal if partial is not None else None)
        best = partial.metrics["best_epoch"] if partial is not None else 0
        kept, errors = (
            keep_results(partial, **dict(keep, save=keep["save"] if best else None))
            if partial is not None
            else ([], [])
        )
        note = "".join(
            f"; {part}"
            for part in (
                [f"best model so far (epoch {best}) kept in {', '.join(kept)}"]
                if kept and best
                else [f"no epoch completed; kept {', '.join(kept)}"]
                if kept
                else []
            )
            + errors
        )
        logger.info("stopped: %s%s", exc, note)
        if isinstance(exc, PluginRuntimeError):
            raise PluginRuntimeError(f"{exc}{note}", exc.component) from exc.__cause__
        raise TrainingDiverged(f"{exc}{note}") from None
    except NNPlugError as exc:
        logger.info("error: %s", exc)
        raise
    signals.defer(run.solver.stop_signal)  # a signal from now on: the results first
    failed = checkpointer.error if checkpointer is not None else None
    if failed is not None:  # a checkpoint could not be written: stopped after that epoch
        run.metrics.update(interrupted=None, error=f"checkpoint: {failed}")
    report_end(run.metrics, config.patience, quiet=quiet, logger=logger, log=log[0], told=log[1])
    written, errors = keep_results(run, **keep)
    from nnplug.cli.logfile import log_error

    if log_error(logger):
        errors.append(f"log file: {log_error(logger)}")
    if failed is not None:
        errors.insert(0, f"checkpoint: {failed}; stopped after epoch {len(run.metrics['history'])}")
    if errors:
        msg = _problems(errors, written)
        logger.info("error: %s", msg)
        raise NNPlugError(msg)
    if run.metrics["interrupted"]:
        import signal

        term = getattr(run.solver, "stop_signal", None) == signal.SIGTERM
        msg = interrupted_line(
            run.metrics,
            signal_name="SIGTERM" if term else None,
            written=written,
            checkpoint_dir=checkpointer and str(checkpointer.directory),
            checkpoint_failed=failed is not None,
            log=log[0],
        )
        logger.info(msg)
        click.echo(msg, err=True)
        click.get_current_context().exit(143 if term else 130)
    if signals.signal is not None:  # after training: the results were written whole first
        import signal

        term = signals.signal == signal.SIGTERM
        msg = (
            f"Interrupted{' by SIGTERM' if term else ''} after training; wrote "
            f"{', '.join(written) or 'nothing'} first"
        )
        logger.info(msg)
        click.echo(msg, err=True)
        click.get_current_context().exit(143 if term else 130)
