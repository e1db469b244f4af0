"""``nnplug train``."""
from __future__ import annotations

import logging

import click

from ..training import DEFAULT_LAYERS, TrainConfig


class EpochPrinter:
    """Solver callback: one summary line per epoch (and to the log file)."""

    def __init__(self, quiet: bool, logger: logging.Logger):
        self.quiet, self.logger = quiet, logger

    def on_epoch_end(self, solver, record):
        name = solver.metric_name
        line = (f"epoch {record.epoch:3d}  loss {record.loss:.4f}  train {name} "
                f"{record.train_metric:.4f}  val {name} {record.val_metric:.4f}  "
                f"lr {record.lr:.4g}  {record.seconds:.2f}s")
        self.logger.info(line)
        if not self.quiet:
            click.echo(line)


def _logger(log_file: str | None) -> logging.Logger:
    logger = logging.getLogger("nnplug.train")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    if log_file:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            from ..errors import NNPlugError
            raise NNPlugError(f"cannot open log file {log_file}: {exc.strerror}") from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
    return logger


D = TrainConfig()


@click.command()
@click.option("--dataset", default=D.dataset, show_default=True,
              help="Dataset plugin name (see `nnplug plugins`).")
@click.option("--layers", default=DEFAULT_LAYERS, show_default=True,
              help="Hidden stack, e.g. 'linear:512,batchnorm,relu,dropout:p=0.2'. The output "
                   "linear and the loss are appended.")
@click.option("--hidden", default=D.hidden, show_default=True, type=int,
              help="Width of each 'linear' written without a width.")
@click.option("--loss", default=None,
              help="Loss name [default: softmax_ce for classification, mse for regression].")
@click.option("--optimizer", default=D.optimizer, show_default=True,
              help="sgd, momentum, nesterov, adam or a plugin's optimizer.")
@click.option("--lr", default=D.lr, show_default=True, type=float, help="Learning rate.")
@click.option("--momentum", default=D.momentum, show_default=True, type=float,
              help="Momentum coefficient (momentum/nesterov).")
@click.option("--weight-decay", default=D.weight_decay, show_default=True, type=float,
              help="L2 penalty on weights (not biases or BatchNorm parameters).")
@click.option("--lr-decay", default=D.lr_decay, show_default=True, type=float,
              help="Multiply the learning rate by this after every epoch.")
@click.option("--epochs", default=D.epochs, show_default=True, type=int)
@click.option("--batch-size", default=D.batch_size, show_default=True, type=int)
@click.option("--seed", default=D.seed, show_default=True, type=int,
              help="Seeds the split, the init, the shuffling and dropout.")
@click.option("--backend", default=D.backend, show_default=True,
              help="Compute backend (numpy, or numba when installed).")
@click.option("--dtype", default=D.dtype, show_default=True,
              type=click.Choice(["float32", "float64"]))
@click.option("--patience", default=None, type=int,
              help="Stop after this many epochs without a better validation metric.")
@click.option("--val-fraction", default=D.val_fraction, show_default=True, type=float,
              help="Share of the training split held out for validation.")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Where dataset files are (or are downloaded to).")
@click.option("--metrics-out", default=None, type=click.Path(dir_okay=False),
              help="Write the metrics record (JSON) here.")
@click.option("--log-file", default=None, type=click.Path(dir_okay=False),
              help="Append the run's log here.")
@click.option("--quiet", is_flag=True, help="Only print the final summary.")
def train(metrics_out, log_file, quiet, **options):
    """Train a network on a dataset and report its test metric."""
    from ..io import write_json
    from ..training import train as run

    config = TrainConfig(**options)
    config.validate()
    logger = _logger(log_file)
    logger.info("config %s", config)
    result = run(config, callbacks=[EpochPrinter(quiet, logger)])
    m = result.metrics
    key = "test_accuracy" if m["task"] == "classification" else "test_rmse"
    summary = (f"{m['dataset']}: {key} {m[key]:.4f}  best epoch {m['best_epoch']}/"
               f"{m['epochs_run']}  {m['train_seconds']:.2f}s  "
               f"{m['samples_per_second']:.0f} samples/s  backend {m['backend']}")
    logger.info(summary)
    click.echo(summary)
    if metrics_out:
        write_json(metrics_out, m)
