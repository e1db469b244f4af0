"""``nnplug train``. The chosen dataset's own options are added by
:class:`~nnplug.cli.dataset_options.TrainCommand`."""

from __future__ import annotations

import click

from nnplug.cli.dataset_options import TrainCommand, given_dataset_options
from nnplug.nn.schedules import SCHEDULES
from nnplug.nn.training import DEFAULT_L2, DEFAULT_LAYERS, TrainConfig

D = TrainConfig()


def _bare(spec: str) -> str:
    """A default spec as users write it (without the built-ins' ``core/`` prefix)."""
    return spec.replace("core/", "")


#: the options that become :class:`TrainConfig` fields, in ``--help`` order; shared with
#: ``nnplug sweep`` (:func:`config_options`), which runs ``nnplug train`` per trial
CONFIG_OPTIONS = (
    click.option(
        "--dataset",
        default=D.dataset,
        show_default=True,
        help="Dataset plugin name (see `nnplug datasets`); its own options follow.",
    ),
    click.option(
        "--layers",
        default=None,
        help="Hidden stack, e.g. 'linear:512,batchnorm,relu,dropout:p=0.2'. The output "
        "linear and the loss are appended. [default: classification of images "
        f"'{_bare(DEFAULT_LAYERS['classification'])}'; regression and classification of "
        f"tabular inputs '{_bare(DEFAULT_LAYERS['regression'])}' (the built-ins: "
        "core/linear, ...)]",
    ),
    click.option(
        "--hidden",
        default=None,
        type=int,
        help="Width of each 'linear' written without a width [default: 512 for "
        "classification of images with >= 5000 training rows, else 256].",
    ),
    click.option(
        "--loss",
        default=None,
        help="Loss name [default: softmax_ce for classification, mse for regression].",
    ),
    click.option(
        "--optimizer",
        default=None,
        help="momentum, nesterov, sgd, adamw, adam or a plugin's optimizer [default: "
        "momentum for classification of images; adamw for regression and for "
        "classification of tabular inputs (lr 0.005, weight decay 0.1)].",
    ),
    click.option(
        "--lr",
        default=None,
        type=float,
        help="Peak learning rate [default: the optimizer's, by task: momentum/nesterov "
        "0.1 for classification, 0.01 for regression; sgd 0.05 / 0.01; adamw "
        "0.001 / 0.005; adam 0.001].",
    ),
    click.option(
        "--momentum",
        default=D.momentum,
        show_default=True,
        type=float,
        help="Momentum coefficient (momentum/nesterov).",
    ),
    click.option(
        "--weight-decay",
        default=None,
        type=float,
        help="Weight decay on weights (not biases or BatchNorm parameters): decoupled "
        "for adamw, else an L2 term [default: adamw 0.01 for classification, 0.1 "
        f"for regression; others {DEFAULT_L2:g}].",
    ),
    click.option(
        "--schedule",
        default=None,
        type=click.Choice(list(SCHEDULES)),
        help="Learning-rate schedule [default: cosine; exp when --lr-decay is given].",
    ),
    click.option(
        "--warmup",
        default=None,
        type=float,
        help="Share of all steps spent warming the learning rate up linearly "
        "[default: 0; onecycle 0.3].",
    ),
    click.option(
        "--lr-decay",
        default=None,
        type=float,
        help="The exp schedule: multiply the learning rate by this after every epoch "
        "[default: 0.95].",
    ),
    click.option("--epochs", default=D.epochs, show_default=True, type=int),
    click.option("--batch-size", default=D.batch_size, show_default=True, type=int),
    click.option(
        "--seed",
        default=D.seed,
        show_default=True,
        type=int,
        help="Seeds the split, the init, the shuffling and dropout.",
    ),
    click.option(
        "--backend",
        default=D.backend,
        show_default=True,
        help="Compute backend: numpy, numba (compiled training steps), or auto: numba "
        "for runs of 3000 training steps or more (where it repays its start-up), "
        "numpy otherwise or where numba cannot be imported.",
    ),
    click.option(
        "--threads",
        default=None,
        type=int,
        help="BLAS threads [default: $NNPLUG_THREADS, else 1 when the largest matrix "
        "product is small, all cores otherwise].",
    ),
    click.option(
        "--dtype", default=D.dtype, show_default=True, type=click.Choice(["float32", "float64"])
    ),
    click.option(
        "--patience",
        default=None,
        type=int,
        help="Stop after this many epochs without a better validation metric.",
    ),
    click.option(
        "--val-fraction",
        default=D.val_fraction,
        show_default=True,
        type=float,
        help="Share of the training split held out for validation.",
    ),
    click.option(
        "--data-dir",
        default=None,
        type=click.Path(file_okay=False),
        help="Where dataset files are (or are downloaded to).",
    ),
    click.option(
        "--scale-target/--no-scale-target",
        default=D.scale_target,
        show_default=True,
        help="Regression: train on standardised targets (training split's mean/std); "
        "metrics and predictions stay in the target's units.",
    ),
)


def config_options(command):
    """Decorate a click command with :data:`CONFIG_OPTIONS` (in that order)."""
    for option in reversed(CONFIG_OPTIONS):
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
