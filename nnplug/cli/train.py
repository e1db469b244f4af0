"""``nnplug train``.

The options of the chosen dataset (``--dataset``, default digits) are the ones its class
declares in ``cli_options`` (:mod:`nnplug.options`): ``nnplug train --dataset csv --help``
lists csv's. Finding them means loading the plugins, so ``nnplug train --help`` without
``--dataset`` shows the common options only and stays plugin-free.
"""

from __future__ import annotations

from typing import Any

import click

from ..training import DEFAULT_LAYERS, TrainConfig

D = TrainConfig()
#: where the parsed dataset options are kept on the click context
META_KEY = "nnplug.dataset_options"


def _dataset_argument(args: list[str]) -> str | None:
    """The value given to ``--dataset`` in ``args`` (the last one wins, as in click)."""
    value = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--dataset" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--dataset="):
            value = arg.partition("=")[2]
    return value


def _click_option(opt: Any, dataset: str) -> click.Option:
    if opt.type is bool:
        kind: dict[str, Any] = {"is_flag": True}
    elif opt.choices:
        kind = {"type": click.Choice(list(opt.choices))}
    elif opt.type == "file":
        kind = {"type": click.Path(dir_okay=False)}
    else:
        kind = {"type": opt.type}
    return click.Option([opt.flag, opt.name], default=None, help=f"{opt.help} [{dataset}]",
                        **kind)


def _owners(flag: str) -> list[str]:
    """Names of the datasets that declare ``flag``."""
    from ..errors import NNPlugError
    from ..options import declared_options
    from ..registry import get_registry

    out = []
    for comp in get_registry().components("dataset"):
        try:
            if any(o.flag == flag for o in declared_options(comp.cls, comp.name)):
                out.append(comp.name)
        except NNPlugError:
            continue
    return out


class TrainCommand(click.Command):
    """``nnplug train``: the chosen dataset's declared options join the common ones."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = _dataset_argument(args)
        head = args[:args.index("--")] if "--" in args else args
        helping = any(a in ctx.help_option_names for a in head)
        if not ctx.resilient_parsing and (given is not None or not helping):
            ctx.meta[META_KEY] = self._dataset_options(ctx, given or D.dataset)
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            owners = _owners(exc.option_name)
            name, options = ctx.meta.get(META_KEY, ("", []))
            if not owners or not name:
                raise
            from ..errors import SpecError

            flags = ", ".join(o.opts[0] for o in options) or "none"
            raise SpecError(f"dataset '{name}' has no option '{exc.option_name[2:]}' "
                            f"({exc.option_name} is an option of {', '.join(owners)}); "
                            f"its options: {flags}") from None

    def _dataset_options(self, ctx: click.Context,
                         spec: str) -> tuple[str, list[click.Option]]:
        from ..errors import NNPlugError, describe_component
        from ..options import declared_options
        from ..registry import get_registry
        from ..spec import parse_token

        registry = get_registry()
        comp = registry.get("dataset", parse_token(spec).name)
        what = describe_component(comp.cls, registry)
        taken = {o for p in super().get_params(ctx) for o in [*p.opts, p.name or ""]}
        options = []
        for opt in declared_options(comp.cls, what):
            if opt.flag in taken or opt.name in taken:
                raise NNPlugError(f"{what} declares option {opt.flag}, which nnplug train "
                                  "already has")
            options.append(_click_option(opt, comp.name))
        return comp.name, options

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        extra = ctx.meta.get(META_KEY, ("", []))[1]
        return params[:-1] + extra + params[-1:] if extra else params  # --help stays last

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        name, extra = ctx.meta.get(META_KEY, ("", []))
        formatter.write_paragraph()
        if name:
            flags = ", ".join(o.opts[0] for o in extra) or "none"
            formatter.write_text(f"Options of dataset '{name}': {flags}.")
        else:
            formatter.write_text("A dataset adds its own options (its files, columns, "
                                 "classes ...): see 'nnplug train --dataset NAME --help'.")


@click.command(cls=TrainCommand)
@click.option("--dataset", default=D.dataset, show_default=True,
              help="Dataset plugin name (see `nnplug datasets`); its own options follow.")
@click.option("--layers", default=DEFAULT_LAYERS, show_default=True,
              help="Hidden stack, e.g. 'linear:512,batchnorm,relu,dropout:p=0.2'. The output "
                   "linear and the loss are appended.")
@click.option("--hidden", default=D.hidden, show_default=True, type=int,
              help="Width of each 'linear' written without a width.")
@click.option("--loss", default=None,
              help="Loss name [default: softmax_ce for classification, mse for regression].")
@click.option("--optimizer", default=D.optimizer, show_default=True,
              help="sgd, momentum, nesterov, adam or a plugin's optimizer.")
@click.option("--lr", default=None, type=float,
              help="Learning rate [default: the optimizer's, by task: sgd/momentum/nesterov "
                   "0.05 for classification, 0.01 for regression; adam 0.001].")
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
              help="Append the run's full log here [default: train-<time>.log in "
                   "$NNPLUG_LOG_DIR, else in the user log directory "
                   "(~/.local/state/nnplug/log on Linux); '' for none].")
@click.option("--quiet", is_flag=True, help="Only print the final summary (no progress bar).")
@click.option("--save", default=None, type=click.Path(dir_okay=False),
              help="Save the best model here (.npz: weights + architecture JSON, no pickle).")
@click.option("--checkpoint-dir", default=None, type=click.Path(file_okay=False),
              help="Keep best.npz and last.npz (full state, for --resume) here every epoch.")
@click.option("--resume", default=None, type=click.Path(file_okay=False),
              help="Continue the run checkpointed in this directory (same result as an "
                   "uninterrupted run); --epochs may be raised.")
@click.option("--plot", default=None, type=click.Path(dir_okay=False),
              help="Draw loss and metric curves to this .png (needs matplotlib).")
def train(metrics_out, log_file, quiet, save, checkpoint_dir, resume, plot, **options):
    """Train a network on a dataset and report its test metric."""
    from .trainrun import run_training

    # the dataset's own options go to its constructor, only when given
    declared = click.get_current_context().meta.get(META_KEY, ("", []))[1]
    picked = {p.name: options.pop(p.name) for p in declared}
    config = TrainConfig(**options,
                         dataset_options={k: v for k, v in picked.items() if v is not None})
    run_training(config, options, quiet=quiet, log_file=log_file, metrics_out=metrics_out,
                 save=save, checkpoint_dir=checkpoint_dir, resume=resume, plot=plot)
