"""``nnplug bench --quality``: nnplug's defaults beside scikit-learn's MLP defaults (and a
PyTorch twin of nnplug's network when torch imports), on the same splits, several seeds.

Rows (files under ``--data-dir``, laid out like the project's ``shared/data``):

* ``digits`` -- embedded;
* ``california`` -- ``california/cal_housing_py3.pkz`` or ``cal_housing.tgz``;
* ``mnist`` -- ``mnist-t10k/``: the 10 000 original test images, the first 8 000 as the
  training files and the last 2 000 as the test files of an ``mnist`` folder;
* ``mnist-npz`` -- the same images and split as a float ``.npz`` (pixels / 255);
* ``housing`` -- ``california/housing.csv`` without its text column, through ``csv``,
  target ``median_house_value`` in dollars, ``--drop-missing``;
* ``ocean`` -- the same CSV, target ``ocean_proximity`` from the 9 numeric columns.

A row whose files are missing is reported as skipped. Every peer trains on the split
nnplug trained on (``run.data``: same rows, same scaled inputs); regression peers get the
same standardised targets, mapped back for RMSE. See :mod:`nnplug.peers`.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import statistics
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np

MNIST_TRAIN = 8000
HOUSING_NUMERIC = [
    "longitude",
    "latitude",
    "housing_median_age",
    "total_rooms",
    "total_bedrooms",
    "population",
    "households",
    "median_income",
]
HOUSING_TARGET = "median_house_value"


class Skip(Exception):
    """A row cannot run here (its files are missing)."""


@dataclass
class Row:
    """One benchmark row: a name and how to turn the data folder into TrainConfig options."""

    name: str
    title: str
    prepare: Callable[[Path, Path], dict[str, Any]]


def _need(path: Path) -> Path:
    if not path.is_file():
        raise Skip(f"missing {path}")
    return path


def read_idx(path: Path) -> np.ndarray:
    """A uint8 IDX file (gzipped): the loaders validate it properly; this only slices."""
    payload = gzip.decompress(_need(path).read_bytes())
    ndim = payload[3]
    dims = np.frombuffer(payload, ">u4", count=ndim, offset=4).astype(int)
    return np.frombuffer(payload, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path: Path, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array, np.uint8)
    dims = np.asarray(array.shape, ">u4").tobytes()
    path.write_bytes(bytes([0, 0, 8, array.ndim]) + dims + array.tobytes())


def _t10k(root: Path) -> tuple[np.ndarray, np.ndarray]:
    d = root / "mnist-t10k"
    return (read_idx(d / "t10k-images-idx3-ubyte.gz"), read_idx(d / "t10k-labels-idx1-ubyte.gz"))


def _digits(root: Path, work: Path) -> dict[str, Any]:
    return {"dataset": "digits"}


def _california(root: Path, work: Path) -> dict[str, Any]:
    d = root / "california"
    if not any((d / f).is_file() for f in ("cal_housing_py3.pkz", "cal_housing.tgz")):
        raise Skip(f"missing {d}/cal_housing_py3.pkz (or cal_housing.tgz)")
    return {"dataset": "california", "data_dir": str(d)}


def _mnist(root: Path, work: Path) -> dict[str, Any]:
    images, labels = _t10k(root)
    d = work / f"mnist-{MNIST_TRAIN}"
    if not d.is_dir():
        d.mkdir(parents=True)
        n = MNIST_TRAIN
        for stem, arr in (
            ("train-images-idx3-ubyte", images[:n]),
            ("train-labels-idx1-ubyte", labels[:n]),
            ("t10k-images-idx3-ubyte", images[n:]),
            ("t10k-labels-idx1-ubyte", labels[n:]),
        ):
            write_idx(d / stem, arr)
    return {"dataset": "mnist", "data_dir": str(d)}


def _mnist_npz(root: Path, work: Path) -> dict[str, Any]:
    images, labels = _t10k(root)
    path = work / f"mnist-{MNIST_TRAIN}-float.npz"
    if not path.is_file():
        X = images.reshape(len(images), -1).astype(np.float32) / 255
        n = MNIST_TRAIN
        np.savez(path, X_train=X[:n], y_train=labels[:n], X_test=X[n:], y_test=labels[n:])
    return {"dataset": "npz", "dataset_options": {"data": str(path)}}


def _housing(root: Path, work: Path) -> dict[str, Any]:
    src = _need(root / "california" / "housing.csv")
    path = work / "housing9.csv"
    if not path.is_file():  # the CSV with its text column cut off
        lines = src.read_text().splitlines()
        path.write_text("\n".join(",".join(line.split(",")[:9]) for line in lines) + "\n")
    return {
        "dataset": "csv",
        "dataset_options": {"data": str(path), "target": HOUSING_TARGET, "drop_missing": True},
    }


def _ocean(root: Path, work: Path) -> dict[str, Any]:
    src = _need(root / "california" / "housing.csv")
    return {
        "dataset": "csv",
        "dataset_options": {
            "data": str(src),
            "target": "ocean_proximity",
            "drop_missing": True,
            "features": ",".join([*HOUSING_NUMERIC, HOUSING_TARGET]),
        },
    }


ROWS = [
    Row("digits", "digits, accuracy", _digits),
    Row("california", "California, RMSE ($100k)", _california),
    Row("mnist", "MNIST t10k 8000/2000 (mnist loader), accuracy", _mnist),
    Row("mnist-npz", "same images as float npz, accuracy", _mnist_npz),
    Row("housing", "housing.csv dollar target, RMSE ($)", _housing),
    Row("ocean", "housing.csv ocean_proximity, accuracy", _ocean),
]


@contextlib.contextmanager
def _own_data_paths() -> Iterator[None]:
    """$NNPLUG_DATA would override the folders prepared here: unset it for the run; the
    datasets' per-load notes (dropped rows, non-canonical MNIST files) are expected here."""
    import logging

    saved = os.environ.pop("NNPLUG_DATA", None)
    notes = logging.getLogger("nnplug.datasets")
    level, notes.disabled = notes.disabled, True
    try:
        yield
    finally:
        notes.disabled = level
        if saved is not None:
            os.environ["NNPLUG_DATA"] = saved


@dataclass
class Result:
    """Per-seed test metrics of each system on one row (``None``: skipped)."""

    row: str
    metric: str = ""
    values: dict[str, list[float]] = field(default_factory=dict)
    val: list[float] = field(default_factory=list)  # nnplug's best validation metric
    skipped: str | None = None


def run_row(
    row: Row,
    root: Path,
    work: Path,
    seeds: list[int],
    peers: list[str],
    overrides: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Train nnplug (defaults + ``overrides``) and each peer on ``row`` for every seed."""
    from nnplug.nn.training import TrainConfig, train
    from nnplug.peers import PEERS

    result = Result(row.name)
    work.mkdir(parents=True, exist_ok=True)
    try:
        options = row.prepare(root, work)
    except Skip as exc:
        result.skipped = str(exc)
        return result
    for seed in seeds:
        with _own_data_paths(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter of the peers
            run = train(TrainConfig(**{**options, **(overrides or {})}, seed=seed))
        m = run.metrics
        key = "test_accuracy" if m["task"] == "classification" else "test_rmse"
        result.metric = "accuracy" if key == "test_accuracy" else "rmse"
        result.values.setdefault("nnplug", []).append(float(m[key]))
        result.val.append(float(m["best_val_metric"]))
        for peer in peers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = PEERS[peer](run, seed)
            result.values.setdefault(peer, []).append(value)
        if progress:
            progress(
                f"{row.name} seed {seed}: "
                + ", ".join(f"{k} {v[-1]:.4f}" for k, v in result.values.items())
            )
    return result


def mean_sd(values: list[float], metric: str) -> str:
    """``98.61 ± 0.42`` (accuracy in %) or ``0.5123 ± 0.0101``; RMSE above 100 as whole units."""
    k = 100.0 if metric == "accuracy" else 1.0
    mean = statistics.fmean(values) * k
    sd = (statistics.stdev(values) if len(values) > 1 else 0.0) * k
    digits = 2 if metric == "accuracy" else (0 if abs(mean) >= 100 else 4)
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def table(results: list[Result], systems: list[str]) -> list[str]:
    """The printed table: one line per row, ``mean ± sd`` per system."""
    width = max(len(r.title) for r in ROWS)
    lines = [f"{'row':<{width}}  " + "  ".join(f"{s:>20}" for s in systems)]
    titles = {r.name: r.title for r in ROWS}
    for res in results:
        title = titles.get(res.row, res.row)
        if res.skipped:
            lines.append(f"{title:<{width}}  skipped: {res.skipped}")
            continue
        cells = [mean_sd(res.values[s], res.metric) if s in res.values else "-" for s in systems]
        lines.append(f"{title:<{width}}  " + "  ".join(f"{c:>20}" for c in cells))
    return lines


def available_peers() -> list[str]:
    from nnplug.peers import torch_available

    return ["sklearn"] + (["torch"] if torch_available() else [])


def quality_options(fn: Callable) -> Callable:
    """The ``--quality`` flag of ``nnplug bench`` and the options only it uses."""
    for option in reversed(
        [
            click.option(
                "--quality",
                is_flag=True,
                help="Instead of speed: test metrics of nnplug's defaults beside "
                "scikit-learn's MLP (and PyTorch when installed), same splits.",
            ),
            click.option(
                "--data-dir",
                default=None,
                type=click.Path(file_okay=False),
                help="quality: folder with california/ and mnist-t10k/ [default: "
                "$NNPLUG_DATA, else the nnplug cache].",
            ),
            click.option(
                "--seeds",
                default=5,
                show_default=True,
                type=click.IntRange(1),
                help="quality: seeds per row (0, 1, ...).",
            ),
            click.option(
                "--rows",
                default=",".join(r.name for r in ROWS),
                show_default=True,
                help="quality: which rows.",
            ),
        ]
    ):
        fn = option(fn)
    return fn


def run_quality(data_dir: str | None, seeds: int, rows: str) -> None:
    """The whole of ``nnplug bench --quality``."""
    from nnplug.errors import NNPlugError

    names = [r.strip() for r in rows.split(",") if r.strip()]
    unknown = [n for n in names if n not in {r.name for r in ROWS}]
    if unknown or not names:
        raise NNPlugError(
            f"--rows: unknown row '{unknown[0] if unknown else rows}' (rows: "
            f"{', '.join(r.name for r in ROWS)})"
        )
    root = Path(data_dir or os.environ.get("NNPLUG_DATA") or _cache_dir()).expanduser()
    peers = available_peers()
    click.echo(
        f"quality: {seeds} seeds per row, data from {root}; peers: "
        f"{', '.join(peers)} (defaults; same splits and inputs as nnplug)"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="nnplug-quality-") as tmp:
        for row in (r for r in ROWS if r.name in names):
            results.append(
                run_row(
                    row,
                    root,
                    Path(tmp),
                    list(range(seeds)),
                    peers,
                    progress=lambda s: click.echo(f"  {s}", err=True),
                )
            )
    for line in table(results, ["nnplug", *peers]):
        click.echo(line)


def _cache_dir() -> str:
    import platformdirs

    return platformdirs.user_cache_dir("nnplug")
