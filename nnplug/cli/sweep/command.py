"""``nnplug sweep``: one ``nnplug train`` per point of a grid, in local worker processes or
on a Dask cluster. Takes ``nnplug train``'s options (:func:`~nnplug.cli.train.config_options`
and the chosen dataset's, through :class:`~nnplug.cli.dataset_options.TrainCommand`) as the
base of every trial; the grid varies some of them."""

from __future__ import annotations

import os
from dataclasses import fields
from typing import Any

import click

from nnplug.cli.dataset_options import META_KEY, TrainCommand, given_dataset_options
from nnplug.cli.train import config_options
from nnplug.nn.training import TrainConfig

#: the options a grid may vary: every TrainConfig field nnplug train takes
CONFIG_NAMES = {f.name for f in fields(TrainConfig)} - {"dataset_options"}


@click.command(cls=TrainCommand)
@click.option(
    "--grid",
    required=True,
    metavar="'NAME=V1,V2;NAME=…'",
    help="The values to try, e.g. 'lr=0.01,0.05;hidden=128,256'; the values of "
    "'layers' (and of any list holding a '|') are separated by '|': "
    "'layers=linear,relu|linear:512,relu'. Every combination is a trial.",
)
@click.option(
    "--random",
    "sample",
    default=None,
    type=click.IntRange(min=1),
    help="Run N trials drawn at random from the grid (without replacement).",
)
@click.option(
    "--random-seed", default=0, show_default=True, type=int, help="Seeds the draw of --random."
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="Local worker processes, each pinned to its share of the cores "
    "[default: the number of cores / --threads].",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Run the trials on this Dask scheduler's workers instead (needs "
    "nnplug[dask]; the workers read the same --data-dir/--data paths).",
)
@click.option(
    "--out",
    default="sweep",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Results directory: sweep.csv, sweep.jsonl, trials/ID.json (each trial's "
    "metrics), models/ID.npz (each trial's best model).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Keep the results already in --out and run only the trials missing.",
)
@click.option(
    "--save-best",
    default=None,
    type=click.Path(dir_okay=False),
    help="Copy the model of the trial with the best validation metric here.",
)
@click.option("--quiet", is_flag=True, help="No line per finished trial.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the trials (id, values, nnplug train command line) and exit.",
)
@config_options(resolves={"threads": "$NNPLUG_THREADS, else 1 (one BLAS thread per trial)"})
def sweep(
    grid, sample, random_seed, workers, scheduler, out, resume, save_best, quiet, dry_run, **options
):
    """Train one model per point of a hyperparameter grid, in parallel; rank them by
    validation metric. Every nnplug train option below is the base of every trial
    (--threads defaults to 1 here, not to nnplug train's policy: one BLAS thread per
    trial)."""
    from nnplug.cli.sweep.grid import GridError, make_trials, parse_grid, points, train_command
    from nnplug.cli.sweep.report import params_text
    from nnplug.cli.sweep.results import Results
    from nnplug.cli.sweep.run import run
    from nnplug.runtime import threads
    from nnplug.safeio.dirlock import DirLock

    ctx = click.get_current_context()
    base_dataset = given_dataset_options(options)
    given = {
        name
        for name in [*options, *base_dataset]
        if (src := ctx.get_parameter_source(name)) is not None and src.name == "COMMANDLINE"
    }
    variable = grid_params(ctx)
    _absolute_paths(variable, options, base_dataset)
    if options["threads"] is None:
        options["threads"] = threads.requested() or 1
    if scheduler and workers:
        raise GridError(
            "--workers is for local sweeps; with --scheduler the Dask "
            "cluster's workers run the trials"
        )
    TrainConfig(**options, dataset_options=dict(base_dataset)).validate()
    axes = parse_grid(grid, variable, ctx, given)
    grid_points = points(axes, sample, random_seed)
    if sample and sample > len(grid_points):
        click.echo(
            f"note: --random {sample} is more than the {len(grid_points)} grid "
            f"points: running all of them",
            err=True,
        )
    trials = make_trials(
        grid_points, options, base_dataset, {name for name in variable if name not in CONFIG_NAMES}
    )
    if dry_run:
        for trial in trials:
            click.echo(
                f"{trial.id}  {params_text(trial.params)}\n"
                f"    {train_command(trial, ctx.command.get_params(ctx))}"
            )
        return
    results = Results(out, [name for name, _ in axes], resume=resume)
    _check_outputs(results, save_best, base_dataset)
    with DirLock(out, what="sweep directory"):
        results.check()
        if scheduler:
            from nnplug.cli.sweep.cluster import DaskPool

            pool: Any = DaskPool(scheduler)
        else:
            from nnplug.cli.sweep.local import LocalPool

            cores = (
                len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity")
                else os.cpu_count() or 1
            )
            pool = LocalPool(workers or max(1, cores // options["threads"]))
        try:  # run() closes the pool as soon as the trials are done or interrupted
            results.open()
            blas = f"{options['threads']} BLAS thread(s) per trial"
            run(
                pool,
                trials,
                results,
                params=ctx.command.get_params(ctx),
                save=save_best,
                quiet=quiet,
                note=blas,
            )
        finally:
            pool.close()


def grid_params(ctx: click.Context) -> dict[str, click.Parameter]:
    """The options a grid may vary, by name: nnplug train's configuration options and the
    chosen dataset's own."""
    dataset_params = ctx.meta.get(META_KEY, ("", []))[1]
    return {
        p.name: p
        for p in ctx.command.get_params(ctx)
        if p.name and (p.name in CONFIG_NAMES or p in dataset_params)
    }


def _absolute_paths(variable: dict[str, click.Parameter], *values: dict[str, Any]) -> None:
    """Path options made absolute: a worker in another directory reads the same file."""
    for found in values:
        for name, value in found.items():
            if value and isinstance(getattr(variable.get(name), "type", None), click.Path):
                found[name] = os.path.abspath(value)


def _check_outputs(results: Any, save_best: str | None, dataset: dict[str, Any]) -> None:
    """Before any work: --save-best can be written and is neither an input nor a result."""
    from nnplug.safeio.outputs import check_distinct, check_output

    check_output(save_best, "model")
    check_distinct(
        [("--save-best", save_best), ("results", results.jsonl), ("results", results.csv)],
        [("--data", dataset.get("data"))],
    )
