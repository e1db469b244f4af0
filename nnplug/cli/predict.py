"""``nnplug predict``: apply a saved model to rows of features from a CSV or .npy file."""

from __future__ import annotations

import csv
import sys
from array import array
from pathlib import Path
from typing import Any

import click
import numpy as np

from nnplug.errors import NNPlugError
from nnplug.runtime.backends import DEFAULT_BACKEND
from nnplug.safeio.text import number, one_line


def read_csv(path: Path) -> tuple[np.ndarray, list[str] | None]:
    """Rows of numbers and the header (the first row, when it is not all numbers), read
    row by row into 8 bytes per cell (at most ``NNPLUG_MAX_BYTES``)."""
    from nnplug.safeio.limits import check_bytes, max_bytes, open_text

    values, header, width, rows = array("d"), None, 0, 0
    cap = max_bytes() // 8
    with open_text(path, "input file") as fh:
        reader = csv.reader(fh)
        try:
            for row in reader:
                if not any(c.strip() for c in row):
                    continue
                numbers = [number(c) for c in row]
                if header is None and rows == 0 and any(v is None for v in numbers):
                    header, width = [c.strip() for c in row], len(row)
                    continue
                width = width or len(row)
                if len(row) != width:
                    raise NNPlugError(
                        f"{path} line {reader.line_num}: {len(row)} columns, expected {width}"
                    )
                checked: list[float] = []
                for col, (cell, value) in enumerate(zip(row, numbers, strict=True), start=1):
                    if value is None:
                        raise NNPlugError(
                            f"{path} line {reader.line_num}, column {col}: "
                            f"{one_line(repr(cell.strip()), 42)} is not a "
                            f"number"
                        )
                    checked.append(value)
                if len(values) + width > cap:
                    check_bytes(8 * (len(values) + width), f"{path} (more than {rows} rows)")
                values.extend(checked)
                rows += 1
        except (csv.Error, UnicodeDecodeError) as exc:
            raise NNPlugError(
                f"cannot read {path} near line {reader.line_num}: {one_line(exc, 100)}"
            ) from None
    return np.frombuffer(values, np.float64).reshape(rows, width), header


def read_array_file(path: Path) -> np.ndarray:
    """The array of an ``.npy`` file, or the ``X`` (``X_test``) of an ``.npz``, read within
    its declared, checked size (:mod:`nnplug.safeio.npy`)."""
    from nnplug.safeio.limits import open_regular
    from nnplug.safeio.npy import NpyError, read_members, read_npy

    with open_regular(path, "input file") as fh:
        try:
            if fh.read(4) == b"PK\x03\x04":
                fh.seek(0)
                members, _ = read_members(fh, str(path), keys=())
                key = next((k for k in ("X", "X_test") if k in members), None)
                if key is None:
                    raise NNPlugError(
                        f"{path} has no array 'X' (found: "
                        f"{one_line(', '.join(members), 200) or 'none'})"
                    )
                fh.seek(0)
                return read_members(fh, str(path), keys=[key])[1][key]
            fh.seek(0)
            return read_npy(fh, str(path))
        except NpyError as exc:
            raise NNPlugError(f"{path} is not a readable NumPy file ({exc})") from None


def read_features(path: str, feature_names: list[str] | None) -> np.ndarray:
    """The input matrix: ``.npy`` / ``.npz`` (key ``X``) or CSV (a header selects the
    model's feature columns by name when it has them all)."""
    p = Path(path)
    if p.suffix.lower() in (".npy", ".npz"):
        X = read_array_file(p)
        if X.dtype.kind not in "biuf":
            raise NNPlugError(f"{path} holds {X.dtype} data, not numbers")
    else:
        X, header = read_csv(p)
        if header and feature_names and set(feature_names) <= set(header):
            index = {name: i for i, name in enumerate(header)}
            X = X[:, [index[name] for name in feature_names]]
    if X.ndim == 0 or len(X) == 0:
        raise NNPlugError(f"input file {path} has no rows")
    return X


def format_rows(model: Any, X: Any) -> tuple[list[str], list[list[str]]]:
    """CSV header and rows: class and per-class probabilities, or the predicted values."""
    if model.task == "classification":
        proba = model.predict_proba(X)
        names = model.classes or [str(k) for k in range(proba.shape[1])]
        header = ["class", *[f"p_{name}" for name in names]]
        labels = proba.argmax(axis=1)
        return header, [
            [names[k], *(f"{p:.6g}" for p in row)] for k, row in zip(labels, proba, strict=True)
        ]
    values = model.predict(X).reshape(len(X), -1)
    header = ["value"] if values.shape[1] == 1 else [f"value_{i}" for i in range(values.shape[1])]
    return header, [[f"{v:.8g}" for v in row] for row in values]


@click.command()
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="A model saved by `nnplug train --save`.",
)
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Raw features, one row per sample: .csv (optional header) or .npy/.npz.",
)
@click.option(
    "--output",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write the predictions (CSV) here [default: stdout].",
)
@click.option(
    "--backend",
    default=DEFAULT_BACKEND,
    show_default=True,
    help="Compute backend (numpy, or numba when installed).",
)
def predict(model_path, input_path, output, backend):
    """Write predictions: class and probabilities (classifiers) or values (regressors)."""
    from nnplug.files.model import load
    from nnplug.runtime.backends import use_backend
    from nnplug.safeio.outputs import atomic_write, check_distinct, check_output

    check_distinct([("--output", output)], [("--model", model_path), ("--input", input_path)])
    check_output(output, "predictions")
    with use_backend(backend):
        model = load(model_path)
        X = read_features(input_path, model.meta.get("feature_names"))
        header, rows = format_rows(model, X)
    if output:
        with atomic_write(output, "w") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        click.echo(f"wrote {len(rows)} predictions to {output}", err=True)
    else:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
