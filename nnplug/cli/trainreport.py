"""The lines that end a run of ``nnplug train``: why it stopped early, the summary, where
its log went, and -- after Ctrl-C or SIGTERM -- exactly what was kept and how to resume.
On a terminal each line but the last (a path cannot be shortened) fits its width."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click


def first_fitting(variants: list[str], width: int | None) -> str:
    """The first of ``variants`` (richest first) no wider than ``width``; the last one,
    cut, when none fits; the first when ``width`` is None."""
    if width is None:
        return variants[0]
    return next((line for line in variants if len(line) <= width), variants[-1][: max(width, 0)])


def summary_line(m: dict[str, Any], width: int | None = None) -> str:
    """``digits: test_accuracy 0.9805  best epoch 19/30  1.07s  24000 samples/s  backend
    numpy``; within ``width`` the backend, samples/s and seconds go, in that order."""
    key = "test_accuracy" if m["task"] == "classification" else "test_rmse"
    head = f"{m['dataset']}: {key} {m[key]:.4f}  best epoch {m['best_epoch']}/{m['epochs_run']}"
    fields = [
        f"{m['train_seconds']:.2f}s",
        f"{m['samples_per_second']:.0f} samples/s",
        f"backend {m['backend']}",
    ]
    return first_fitting(
        ["  ".join([head, *fields[:n]]) for n in range(len(fields), -1, -1)], width
    )


def stopped_line(m: dict[str, Any], patience: int | None, width: int | None = None) -> str:
    """Why a run stopped before its ``--epochs``: ``--patience``."""
    config, run = m["config"], m["epochs_run"]
    return first_fitting(
        [
            f"stopped early after epoch {run} of {config['epochs']}: val {m['metric']} not "
            f"better for {patience} epoch{'s' * (patience != 1)} (--patience {patience})",
            f"stopped early after epoch {run}: --patience {patience}",
            f"stopped early (--patience {patience})",
        ],
        width,
    )


def log_line(path: Path) -> str:
    """``log: ~/.local/state/nnplug/log/train-20250101-120000.log``."""
    from nnplug.cli.trainlog import shown

    return f"log: {shown(path)}"


def interrupted_line(
    m: dict[str, Any],
    *,
    signal_name: str | None,
    written: list[str],
    checkpoint_dir: str | None,
    checkpoint_failed: bool,
    log: Path | None,
) -> str:
    """``Interrupted at epoch 3, step 12: kept model m.npz (best epoch 2), metrics m.json,
    the checkpoint of epoch 2 in ck; continue with: nnplug train --resume ck`` -- only
    what was written, and the command only when a checkpoint can resume."""
    from nnplug.cli.trainlog import shown

    kept = [
        f"{item} (best epoch {m['best_epoch']})" if item.startswith("model ") else item
        for item in written
    ]
    done = len(m["history"])
    resume = checkpoint_dir if checkpoint_dir and done and not checkpoint_failed else None
    if resume:
        kept.append(f"the checkpoint of epoch {done} in {resume}")
    if log is not None:
        kept.append(f"the log {shown(log)}")
    head = f"Interrupted{f' by {signal_name}' if signal_name else ''} at {m['interrupted']}"
    if not kept:
        return f"{head}: nothing was saved (no --save, --metrics-out, --checkpoint-dir or log)"
    if resume:
        tail = f"; continue with: nnplug train --resume {resume}"
    else:
        tail = "; nothing else was saved" if not written else ""
    return f"{head}: kept {', '.join(kept)}{tail}"


def report_end(
    m: dict[str, Any],
    patience: int | None,
    *,
    quiet: bool,
    logger: logging.Logger,
    log: Path | None,
    told: str | None,
) -> None:
    """Print (and log) the lines after the last epoch: why the run stopped early, the
    summary (alone under ``quiet``), then where the log went unless the user chose it
    (``told``: the ``--log-file`` given) -- on a terminal within its width."""
    from nnplug.cli.progress import columns, is_terminal

    width = columns() if is_terminal(sys.stdout) else None
    if m["stopped_early"]:
        logger.info(stopped_line(m, patience))
        if not quiet:
            click.echo(stopped_line(m, patience, width))
    logger.info(summary_line(m))
    click.echo(summary_line(m, width))
    if log is not None and told is None and not quiet:
        click.echo(log_line(log))
