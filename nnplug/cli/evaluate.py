"""``nnplug evaluate``: the test metric of a saved model on a dataset."""
from __future__ import annotations

import json

import click

from ..backend import DEFAULT_BACKEND


@click.command()
@click.option("--model", "model_path", required=True, type=click.Path(dir_okay=False),
              help="A model saved by `nnplug train --save` (or a checkpoint's best.npz).")
@click.option("--dataset", default=None,
              help="Dataset plugin name [default: the one the model was trained on].")
@click.option("--split", default="test", show_default=True,
              type=click.Choice(["test", "val", "train"]), help="Which split to score.")
@click.option("--seed", default=None, type=int,
              help="Seed of the split [default: the model's training seed].")
@click.option("--val-fraction", default=None, type=float,
              help="Validation share of the split [default: the model's].")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Where dataset files are.")
@click.option("--backend", default=DEFAULT_BACKEND, show_default=True,
              help="Compute backend (numpy, or numba when installed).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON record instead.")
def evaluate(model_path, dataset, split, seed, val_fraction, data_dir, backend, as_json):
    """Print a saved model's metric (accuracy or RMSE) on a dataset split."""
    from ..api import load
    from ..backend import use_backend
    from ..errors import NNPlugError
    from ..model import make_component
    from ..spec import parse_token

    with use_backend(backend):
        model = load(model_path)
        trained = model.meta.get("training") or {}
        name = dataset or trained.get("dataset")
        if not name:
            raise NNPlugError(f"{model_path} does not say which dataset it was trained on; "
                              f"pass --dataset")
        options = (trained.get("dataset_options") or {}) if name == trained.get("dataset") \
            else {}
        seed = trained.get("seed", 42) if seed is None else seed
        val_fraction = trained.get("val_fraction", 0.1) if val_fraction is None \
            else val_fraction
        if not 0 <= val_fraction < 1:
            raise NNPlugError("--val-fraction must be in [0, 1)")
        source = make_component("dataset", parse_token(name), **options)
        data = source.load(seed=seed, val_fraction=val_fraction,
                           data_dir=data_dir or trained.get("data_dir"))
        value = model.evaluate_data(data, split)
    n = len(getattr(data, f"y_{split}"))
    name = name.split("/")[-1]  # "datasets/digits" -> "digits"
    if as_json:
        click.echo(json.dumps({"model": str(model_path), "dataset": name, "split": split,
                               "samples": n, "metric": model.metric_name, "value": value}))
    else:
        click.echo(f"{name}: {split}_{model.metric_name} {value:.4f}  ({n} samples)")
