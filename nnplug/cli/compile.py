"""``nnplug compile``: fill the compiled backend's cache ahead of training (a Docker image, a
CI job), for the default stacks or a given one, saying what it compiles and how long it took.
"""

from __future__ import annotations

import time
from typing import Any

import click

#: the width of the small model compiled for (the compiled code does not depend on it)
FEATURES, OUTPUTS = 8, 3


def _stacks(
    layers: str | None, loss: str | None, optimizer: str | None
) -> list[tuple[str, str, str, str, str]]:
    """``(label, layers, loss, optimizer, task)`` to compile: the one asked for, or the
    default of every recipe."""
    from nnplug.nn.recipes import DEFAULT_LAYERS, DEFAULT_LOSSES, DEFAULT_OPTIMIZER, bare

    if layers or loss or optimizer:
        task = "regression" if loss and "mse" in loss else "classification"
        return [
            (
                "given stack",
                layers or DEFAULT_LAYERS["classification"],
                loss or DEFAULT_LOSSES[task],
                optimizer or DEFAULT_OPTIMIZER["classification"],
                task,
            )
        ]
    out = []
    for recipe, stack in DEFAULT_LAYERS.items():
        task = "regression" if recipe == "regression" else "classification"
        label = f"defaults for {recipe} ({bare(stack)})"
        out.append((label, stack, DEFAULT_LOSSES[task], DEFAULT_OPTIMIZER[recipe], task))
    return out


def _compile_one(
    stack: tuple[str, str, str, str, str], backend: str, dtype: str
) -> tuple[float, bool]:
    """Compile (or load) the driver of one stack; ``(seconds, compiled anything)``."""
    import numpy as np

    from nnplug.kernels import NotCompiled
    from nnplug.nn.config import TrainConfig
    from nnplug.nn.resolve import resolve_optimizer
    from nnplug.nn.sequential import Sequential
    from nnplug.nn.training import make_optimizer
    from nnplug.registry.resolve import make_component
    from nnplug.spec import parse_token

    _, layers, loss_name, optimizer, task = stack
    model = Sequential.from_spec(
        layers, FEATURES, OUTPUTS, hidden=8, rng=0, dtype=np.dtype(dtype), backend=backend
    )
    model.input_grad = False
    loss = make_component("loss", parse_token(loss_name))
    config = TrainConfig(optimizer=optimizer)
    resolve_optimizer(config, task)
    opt = make_optimizer(config)
    loss.ops = opt.ops = model.backend
    t0 = time.perf_counter()
    runner = model.compiled(loss, opt)
    if runner is None:
        raise click.ClickException(f"backend {backend} does not compile: nothing to do")
    try:
        seconds = runner.prepare()
    except NotCompiled as exc:
        from nnplug.errors import NNPlugError

        raise NNPlugError(f"cannot compile {layers}: {exc}") from None
    return time.perf_counter() - t0, seconds > 0


@click.command(name="compile")
@click.option(
    "--layers",
    default=None,
    help="The hidden stack to compile for, as nnplug train takes it [default: every "
    "recipe's default stack, with its loss and optimizer].",
)
@click.option(
    "--loss", default=None, help="The loss to compile for [default: by the stack's task]."
)
@click.option("--optimizer", default=None, help="The optimizer to compile for.")
@click.option(
    "--dtype",
    default="float32",
    show_default=True,
    type=click.Choice(["float32", "float64"]),
    help="Compute dtype (each dtype is compiled on its own).",
)
@click.option(
    "--backend", default="numba", show_default=True, help="The compiling backend to fill."
)
def compile_(layers: Any, loss: Any, optimizer: Any, dtype: str, backend: str) -> None:
    """Compile the compiled backend's training code into its cache ahead of time."""
    stacks = _stacks(layers, loss, optimizer)
    total = 0.0
    for i, stack in enumerate(stacks, start=1):
        click.echo(
            f"[{i}/{len(stacks)}] {stack[0]}; {stack[2].split('/')[-1]}, "
            f"{stack[3].split('/')[-1]}, {dtype} ...",
            err=True,
        )
        seconds, compiled = _compile_one(stack, backend, dtype)
        total += seconds
        what = "compiled" if compiled else "already cached, loaded"
        click.echo(f"[{i}/{len(stacks)}] {what} in {seconds:.1f} s", err=True)
    click.echo(
        f"nnplug compile: {len(stacks)} stack(s) ready for backend {backend} ({total:.1f} s)"
    )
