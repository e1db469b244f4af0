"""``nnplug predict``: apply a saved model to rows of features from a CSV or .npy file.

Class names come from the model file: on stdout they are printed through
:func:`~nnplug.safeio.text.one_line` (no control character reaches the terminal); a file
(``--output``) keeps them as they are, CSV-quoted where CSV needs it, with what UTF-8
cannot encode (a lone surrogate) backslash-escaped. While the model runs, what plugin code
prints goes to stderr: stdout carries the rows only.
"""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from nnplug.errors import DataError
from nnplug.runtime.backends import DEFAULT_BACKEND

#: the arrays predict reads from an .npz: X, else X_test (a lone .npy is X)
LAYOUTS = ({"X": ("X", None)}, {"X": ("X_test", None)})


def read_features(path: str, model: Any = None) -> Any:
    """The input rows, for ``model.predict``: ``.npy`` / ``.npz`` (key ``X``, and
    ``feature_names`` naming its columns when there) or CSV. A CSV header -- a first row
    naming one of the model's columns, or holding text where the model reads numbers --
    picks the model's columns by name (others are ignored; a missing one is an error
    naming it); without a header the columns are taken in order."""
    from nnplug.safeio.csvtables import CsvFile, quoted
    from nnplug.safeio.npztables import read_arrays
    from nnplug.safeio.text import one_line

    names = getattr(model, "feature_names", None)
    encoding = getattr(model, "encoding", None)
    fills = encoding is not None and any(c.median is not None for c in encoding.columns)
    text_at = list(getattr(model, "categorical", []))
    p = Path(path)
    if p.suffix.lower() in (".npy", ".npz"):
        return read_arrays(
            p,
            LAYOUTS,
            expected="array X (or X_test)",
            npy_key="X",
            keep_missing=fills,
            names_key="feature_names",
        )["X"]
    with CsvFile(p, header=None, known=names or (), text_at=text_at) as table:
        if table.header is not None and names:
            header = set(table.header)
            missing = [n for n in names if n not in header]
            if missing:
                raise DataError(
                    f"{p}: the header has no column {quoted(missing)}, which the model needs "
                    f"(the header: {one_line(', '.join(table.header), 200)})"
                )
            categorical = [names[j] for j in text_at]
            return table.read(features=names, keep_missing=fills, as_text=categorical)
        return table.read(keep_missing=fills, as_text_at=text_at)


def file_text(name: str) -> str:
    """``name`` as UTF-8 can write it (a lone surrogate becomes ``\\ud800``)."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def format_rows(
    model: Any, X: Any, label: Callable[[str], str] = file_text
) -> tuple[list[str], list[list[str]]]:
    """CSV header and rows: class and per-class probabilities, or the predicted values;
    ``label`` makes a class name printable where the rows go."""
    if model.task == "classification":
        proba = model.predict_proba(X)
        names = [label(c) for c in model.class_names()]
        header = ["class", *[f"p_{name}" for name in names]]
        labels = proba.argmax(axis=1)
        return header, [
            [names[k], *(f"{p:.6g}" for p in row)] for k, row in zip(labels, proba, strict=True)
        ]
    values = model.predict(X)
    values = values.reshape(len(values), -1)
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
    from nnplug.safeio.text import one_line

    check_distinct([("--output", output)], [("--model", model_path), ("--input", input_path)])
    check_output(output, "predictions")
    # plugin code (a layer's print()) must not write into the rows on stdout
    plugin_prints: contextlib.AbstractContextManager[Any] = (
        contextlib.redirect_stdout(sys.stderr) if not output else contextlib.nullcontext()
    )
    with use_backend(backend), plugin_prints:
        model = load(model_path)
        X = read_features(input_path, model)
        header, rows = format_rows(model, X, file_text if output else one_line)
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
