"""``nnplug predict``: apply a saved model to rows of features from a CSV or .npy file."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import click

from ..backend import DEFAULT_BACKEND


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def read_csv(path: Path) -> tuple[list[list[float]], list[str] | None]:
    """Rows of numbers and the header (the first row, when it is not all numbers)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        from ..errors import NNPlugError
        raise NNPlugError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") \
            from None
    from ..errors import NNPlugError

    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    header = None
    if rows and any(_number(c) is None for c in rows[0]):
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    out = []
    width = len(rows[0]) if rows else 0
    for line, row in enumerate(rows, start=2 if header else 1):
        if len(row) != width:
            raise NNPlugError(f"{path} line {line}: {len(row)} columns, expected {width}")
        values = [_number(c) for c in row]
        for col, (cell, value) in enumerate(zip(row, values), start=1):
            if value is None:
                raise NNPlugError(f"{path} line {line}, column {col}: {cell.strip()!r} is not "
                                  f"a number")
        out.append(values)
    return out, header


def read_features(path: str, feature_names: list[str] | None) -> Any:
    """The input matrix: ``.npy`` / ``.npz`` (key ``X``) or CSV (a header selects the
    model's feature columns by name when it has them all)."""
    import numpy as np

    from ..errors import NNPlugError

    p = Path(path)
    if not p.is_file():
        raise NNPlugError(f"input file {path} not found")
    if p.suffix.lower() in (".npy", ".npz"):
        try:
            with open(p, "rb") as fh:
                X = np.load(fh, allow_pickle=False)
                if hasattr(X, "files"):
                    key = next((k for k in ("X", "X_test") if k in X.files), None)
                    if key is None:
                        raise NNPlugError(f"{path} has no array 'X' (found: "
                                          f"{', '.join(X.files) or 'none'})")
                    X = X[key]
        except NNPlugError:
            raise
        except (ValueError, OSError, EOFError) as exc:
            raise NNPlugError(f"{path} is not a readable NumPy file "
                              f"({str(exc).splitlines()[0] if str(exc) else exc})") from None
        if X.dtype.kind not in "biuf":
            raise NNPlugError(f"{path} holds {X.dtype} data, not numbers")
    else:
        rows, header = read_csv(p)
        X = np.asarray(rows, dtype=np.float64)
        if header and feature_names and set(feature_names) <= set(header):
            X = X[:, [header.index(name) for name in feature_names]]
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
        return header, [[names[k], *(f"{p:.6g}" for p in row)]
                        for k, row in zip(labels, proba)]
    values = model.predict(X).reshape(len(X), -1)
    header = ["value"] if values.shape[1] == 1 else [f"value_{i}" for i in
                                                     range(values.shape[1])]
    return header, [[f"{v:.8g}" for v in row] for row in values]


@click.command()
@click.option("--model", "model_path", required=True, type=click.Path(dir_okay=False),
              help="A model saved by `nnplug train --save`.")
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False),
              help="Raw features, one row per sample: .csv (optional header) or .npy/.npz.")
@click.option("--output", default=None, type=click.Path(dir_okay=False),
              help="Write the predictions (CSV) here [default: stdout].")
@click.option("--backend", default=DEFAULT_BACKEND, show_default=True,
              help="Compute backend (numpy, or numba when installed).")
def predict(model_path, input_path, output, backend):
    """Write predictions: class and probabilities (classifiers) or values (regressors)."""
    from ..api import load
    from ..backend import use_backend
    from ..io import atomic_open

    with use_backend(backend):
        model = load(model_path)
        X = read_features(input_path, model.meta.get("feature_names"))
        header, rows = format_rows(model, X)
    if output:
        with atomic_open(output, "w") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        click.echo(f"wrote {len(rows)} predictions to {output}", err=True)
    else:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
