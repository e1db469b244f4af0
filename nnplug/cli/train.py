"""``nnplug train``. The chosen dataset's own options are added by
:class:`~nnplug.cli.dataset_options.TrainCommand`."""

from __future__ import annotations

from typing import Any

import click

from nnplug.cli.dataset_options import TrainCommand, given_dataset_options
from nnplug.nn.config import TrainConfig, flag, setting, settings, value_type


def _click_option(f: Any, resolves: str | None = None) -> Any:
    """The click option of one :class:`TrainConfig` field, from its :class:`Setting`
    (``resolves``: another ``[default: ...]`` text, for a command that resolves it so)."""
    s = setting(f)
    assert s is not None  # settings() yields fields with one
    kind: dict[str, Any] = {}
    if value_type(f) is bool and f.default is False:  # a switch to turn on
        decls = [flag(f)]
        kind["is_flag"] = True
    elif value_type(f) is bool:  # on by default: --x/--no-x
        decls = [f"{flag(f)}/--no-{flag(f)[2:]}"]
    else:
        decls = [flag(f)]
        if s.choices:
            kind["type"] = click.Choice(list(s.choices))
        elif s.directory:
            kind["type"] = click.Path(file_okay=False)
        else:
            kind["type"] = value_type(f)
    resolves = resolves or s.resolves
    text = s.help + (f" [default: {resolves}]" if resolves else "")
    return click.option(
        *decls, f.name, default=f.default, show_default=f.default is not None, help=text, **kind
    )


#: the options that become :class:`TrainConfig` fields, in the table's order; shared with
#: ``nnplug sweep`` (:func:`config_options`), which runs ``nnplug train`` per trial
CONFIG_OPTIONS = tuple(_click_option(f) for f in settings(cli=True))


def config_options(command: Any = None, *, resolves: dict[str, str] | None = None) -> Any:
    """Decorate a click command with :data:`CONFIG_OPTIONS` (in that order); ``resolves``
    (field name -> text) replaces the ``[default: ...]`` of those fields, for a command
    that resolves them otherwise (``nnplug sweep``'s ``--threads``)."""
    if command is None:
        return lambda command: config_options(command, resolves=resolves)
    options = [
        _click_option(f, resolves[f.name]) if resolves and f.name in resolves else option
        for f, option in zip(settings(cli=True), CONFIG_OPTIONS, strict=True)
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command(cls=TrainCommand)
@config_options
@click.option(
    "--metrics-out",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write the metrics record (JSON) here.",
)
@click.option(
    "--log-file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Append the run's full log here [default: train-<time>.log in "
    "$NNPLUG_LOG_DIR, else in the user log directory "
    "(~/.local/state/nnplug/log on Linux); '' for none].",
)
@click.option("--quiet", is_flag=True, help="Only print the final summary (no progress bar).")
@click.option(
    "--save",
    default=None,
    type=click.Path(dir_okay=False),
    help="Save the best model here (.npz: weights + architecture JSON, no pickle).",
)
@click.option(
    "--checkpoint-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Keep best.npz and last.npz (full state, for --resume) here every epoch.",
)
@click.option(
    "--resume",
    default=None,
    type=click.Path(file_okay=False),
    help="Continue the run checkpointed in this directory (same result as an "
    "uninterrupted run); --epochs may be raised.",
)
@click.option(
    "--plot",
    default=None,
    type=click.Path(dir_okay=False),
    help="Draw loss and metric curves to this .png (needs matplotlib).",
)
def train(metrics_out, log_file, quiet, save, checkpoint_dir, resume, plot, **options):
    """Train a network on a dataset and report its test metric."""
    from nnplug.cli.trainrun import run_training

    dataset_options = given_dataset_options(options)  # to its constructor, only when given
    config = TrainConfig(**options, dataset_options=dataset_options)
    run_training(
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
