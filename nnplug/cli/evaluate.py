"""``nnplug evaluate``: the test metric of a saved model on a dataset.

A model file is data: it never chooses a path. Files and folders come only from the
command line (``--data``, ``--data-dir``; else ``$NNPLUG_DATA`` / the user cache). On the
data the model was trained on, the split is the model's own (its seed and validation
share): another ``--seed`` or ``--val-fraction`` on the same dataset would score rows the
model was trained on and is refused, unless the user names the data (``--data FILE``).
Other data -- a ``--data`` file whose SHA-256 is not the one the model recorded for its
training file, or another dataset -- is scored whole, every row, through the model's own
encoding and scaling (:func:`is_other_data`).
"""

from __future__ import annotations

import json
from typing import Any

import click

from nnplug.runtime.backends import DEFAULT_BACKEND


def is_path_option(key: str) -> bool:
    """Options a model file may not set: file and folder paths."""
    return key in ("data", "path", "file") or key.endswith(("_dir", "_path", "_file"))


def dataset_options(trained: dict, name: str, data: str | None) -> dict:
    """The stored options of the model's own dataset minus paths, plus the user's --data."""
    options = (
        {k: v for k, v in (trained.get("dataset_options") or {}).items() if not is_path_option(k)}
        if name == trained.get("dataset")
        else {}
    )
    if data:
        options["data"] = data
    return options


def check_split(
    model_path: str,
    trained: dict,
    name: str,
    data: str | None,
    seed: int | None,
    val_fraction: float | None,
) -> None:
    """Refuse a split other than the model's on its own dataset (it would score training
    rows), unless the user names the data with --data."""
    from nnplug.errors import NNPlugError

    if data or name != trained.get("dataset"):
        return
    for flag, given, own in (
        ("--seed", seed, trained.get("seed")),
        ("--val-fraction", val_fraction, trained.get("val_fraction")),
    ):
        if given is not None and own is not None and given != own:
            raise NNPlugError(
                f"{model_path} was trained on {name.split('/')[-1]} with {flag} {own}; "
                f"{flag} {given} splits the data differently and would score "
                f"rows the model was trained on (drop {flag}, or name other "
                f"data with --data FILE)"
            )


def is_other_data(trained: dict, name: str, data: str | None) -> bool:
    """Is ``--data`` (of dataset ``name``) other data than the model was trained on? Yes
    for another dataset, or a file whose SHA-256 differs from the recorded one; a model
    that recorded none (nnplug before 0.x) is taken at its word (its own split)."""
    from nnplug.safeio.tables import digest

    if not data:
        return False
    if name != trained.get("dataset"):
        return True
    recorded = trained.get("data_sha256")
    return bool(recorded) and digest(data) != recorded


def score_whole(
    model: Any, source: Any, name: str, data: str, data_dir: str | None
) -> tuple[float, int]:
    """The model's metric over every row of other data, and how many rows."""
    from nnplug.errors import NNPlugError

    rows = source.rows(features=model.feature_names, data_dir=data_dir)
    if rows is None:
        raise NNPlugError(
            f"dataset {name.split('/')[-1]} cannot give its rows whole, so {data} cannot "
            f"be scored as other data"
        )
    X, y = rows
    return model.evaluate(X, y), len(y)


@click.command()
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="A model saved by `nnplug train --save` (or a checkpoint's best.npz).",
)
@click.option(
    "--dataset",
    default=None,
    help="Dataset plugin name [default: the one the model was trained on].",
)
@click.option(
    "--data",
    default=None,
    type=click.Path(dir_okay=False),
    help="The data file for --dataset csv / npz (a model file never names one).",
)
@click.option(
    "--split",
    default=None,
    type=click.Choice(["test", "val", "train"]),
    help="Which split of the data the model was trained on to score [default: test]; "
    "other data is scored whole.",
)
@click.option(
    "--seed",
    default=None,
    type=int,
    help="Seed of the split [default and only value without --data: the model's training seed].",
)
@click.option(
    "--val-fraction",
    default=None,
    type=float,
    help="Validation share of the split [default: the model's].",
)
@click.option(
    "--data-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where dataset files are [default: $NNPLUG_DATA, else the user cache].",
)
@click.option(
    "--backend",
    default=DEFAULT_BACKEND,
    show_default=True,
    help="Compute backend (numpy, or numba when installed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON record instead.")
def evaluate(model_path, dataset, data, split, seed, val_fraction, data_dir, backend, as_json):
    """Print a saved model's metric (accuracy or RMSE) on a dataset split."""
    from nnplug.errors import NNPlugError
    from nnplug.files.model import load
    from nnplug.nn.training import TrainConfig
    from nnplug.registry.resolve import make_component
    from nnplug.runtime.backends import use_backend
    from nnplug.spec import parse_token

    with use_backend(backend):
        model = load(model_path)  # the header's training record is checked there
        trained = model.meta.get("training") or {}
        name = dataset or trained.get("dataset")
        if not name:
            raise NNPlugError(
                f"{model_path} does not say which dataset it was trained on; pass --dataset"
            )
        own_seed = trained.get("seed", 42) if seed is None else seed
        own_fraction = trained.get("val_fraction", 0.1) if val_fraction is None else val_fraction
        TrainConfig(seed=own_seed, val_fraction=own_fraction).validate()
        check_split(model_path, trained, name, data, seed, val_fraction)
        seed, val_fraction = own_seed, own_fraction
        options = dataset_options(trained, name, data)
        if (
            not data
            and name == trained.get("dataset")
            and "data" in (trained.get("dataset_options") or {})
        ):
            raise NNPlugError(
                f"{model_path} was trained on a {name.split('/')[-1]} file; pass that file "
                f"(or another) with --data FILE"
            )
        source = make_component("dataset", parse_token(name), **options)
        if is_other_data(trained, name, data):
            if split is not None:
                raise NNPlugError(
                    f"--split picks a part of the data {model_path} was trained on; {data} "
                    f"is other data, scored whole (drop --split)"
                )
            value, n = score_whole(model, source, name, data, data_dir)
            split = "all"
        else:
            split = split or "test"
            data_set = source.load(seed=seed, val_fraction=val_fraction, data_dir=data_dir)
            value = model.evaluate_data(data_set, split)
            n = len(getattr(data_set, f"y_{split}"))
    name = name.split("/")[-1]  # "datasets/digits" -> "digits"
    if as_json:
        click.echo(
            json.dumps(
                {
                    "model": str(model_path),
                    "dataset": name,
                    "split": split,
                    "samples": n,
                    "metric": model.metric_name,
                    "value": value,
                }
            )
        )
    elif split == "all":
        click.echo(
            f"{name}: {model.metric_name} {value:.4f}  (all {n} rows of {data}: not the "
            f"data the model was trained on, scored whole)"
        )
    else:
        click.echo(f"{name}: {split}_{model.metric_name} {value:.4f}  ({n} samples)")
