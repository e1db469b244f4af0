"""The rows of ``nnplug bench --quality`` (:mod:`.quality`) and the data each trains on
(files under ``--data-dir``, laid out like the project's ``shared/data``):

* ``digits`` -- embedded;
* ``california`` -- ``california/cal_housing.tgz`` (the original archive; nnplug never
  reads scikit-learn's pickled ``cal_housing_py3.pkz``);
* ``mnist`` -- ``mnist-t10k/``: the 10 000 original test images, the first 8 000 as the
  training files and the last 2 000 as the test files of an ``mnist`` folder;
* ``mnist-npz`` -- the same images and split as a float ``.npz`` (pixels / 255);
* ``housing`` -- ``california/housing.csv`` without its text column, through ``csv``,
  target ``median_house_value`` in dollars, ``--drop-missing``;
* ``ocean`` -- the same CSV, target ``ocean_proximity`` from the 9 numeric columns.

A row whose files are missing raises :class:`Skip` (reported as skipped). The IDX files
are read by the datasets plugin's size-checked reader (:mod:`nnplug_datasets.idx`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """A uint8 IDX file (gzipped or not), read by the datasets plugin's reader: validated,
    its sizes judged against the file and ``NNPLUG_MAX_BYTES`` before anything is allocated."""
    from nnplug_datasets.idx import read_idx as read_checked

    array, _digest = read_checked(_need(path), ndim=ndim)
    return array


def write_idx(path: Path, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array, np.uint8)
    dims = np.asarray(array.shape, ">u4").tobytes()
    path.write_bytes(bytes([0, 0, 8, array.ndim]) + dims + array.tobytes())


def _t10k(root: Path) -> tuple[np.ndarray, np.ndarray]:
    d = root / "mnist-t10k"
    return (
        read_idx(d / "t10k-images-idx3-ubyte.gz", 3),
        read_idx(d / "t10k-labels-idx1-ubyte.gz", 1),
    )


def _digits(root: Path, work: Path) -> dict[str, Any]:
    return {"dataset": "digits"}


def _california(root: Path, work: Path) -> dict[str, Any]:
    d = root / "california"
    if not (d / "cal_housing.tgz").is_file():
        raise Skip(f"missing {d}/cal_housing.tgz")
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
def own_data_paths() -> Iterator[None]:
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
