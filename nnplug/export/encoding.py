"""A model's column encoding (:class:`nnplug.base.Encoding`) as the first nodes of its
ONNX graph, computing what :func:`nnplug.data.encoding.encode` computes from the same raw
row.

The graph's inputs (:func:`inputs`), in the order of the model's raw columns:

* ``X`` -- the **numeric** raw columns, ``[N, numeric columns]`` in the model's dtype;
  NaN is a missing value, filled with the column's training median (``IsNaN``, ``Where``).
  A column saved without a median (trained with ``--drop-missing``) passes NaN on, where
  nnplug refuses the row;
* one **string** input ``[N, 1]`` per categorical column, named after the column when
  its name is a plain identifier (else ``column_<position>``): the category's text exactly
  as nnplug stores it (nnplug strips surrounding spaces when it reads a cell). A text
  that is not one of the training categories -- or a missing one, e.g. ``""`` -- is all
  zeros, as in nnplug: ``LabelEncoder`` (``ai.onnx.ml``) maps the text to its category's
  index or -1, ``Equal`` against ``0..k-1`` makes the one-hot columns.

The encoded columns are concatenated in the model's column order, in float64, before the
input scaling (:mod:`nnplug.export.scaling`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnplug.base import Encoding
from nnplug.export.graph import OnnxGraph

F64 = np.float64
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: names the graph's own inputs and outputs use
RESERVED = frozenset({"X", "probabilities", "label", "values"})


@dataclass
class Input:
    """One graph input: its name, and the raw columns (names) it holds."""

    name: str
    columns: list[str]
    text: bool

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": self.columns,
            "type": "string" if self.text else "number",
        }


def inputs(graph: OnnxGraph, encoding: Encoding) -> list[Input]:
    """The graph's inputs for ``encoding``: ``X`` (when there is a numeric column), then
    one per categorical column (its name reserved in ``graph``)."""
    numeric = [c.name for c in encoding.columns if c.categories is None]
    out = [Input(graph.name("X"), numeric, False)] if numeric else []
    for j, column in enumerate(encoding.columns):
        if column.categories is not None:
            plain = _PLAIN.fullmatch(column.name) and column.name not in RESERVED
            out.append(
                Input(graph.name(column.name if plain else f"column_{j + 1}"), [column.name], True)
            )
    return out


def encode(graph: OnnxGraph, encoding: Encoding, given: list[Input]) -> str:
    """The encoded columns ``[N, in_features]`` float64 from the inputs ``given``."""
    pieces: list[str] = []
    texts = iter(i for i in given if i.text)
    numeric = next((i for i in given if not i.text), None)
    x = None
    if numeric is not None:
        x = graph.cast(numeric.name, F64)
        medians = [c.median for c in encoding.columns if c.categories is None]
        if any(m is not None for m in medians):
            fill = np.array([np.nan if m is None else m for m in medians], F64)[None, :]
            x = graph.node(
                "Where", [graph.node("IsNaN", [x]), graph.constant(fill, "medians", F64), x]
            )
    run: list[int] = []  # consecutive numeric columns: one Slice
    position = 0

    def flush() -> None:
        if run:
            assert x is not None
            i64 = lambda v, hint: graph.constant(v, hint, np.int64)  # noqa: E731
            pieces.append(
                graph.node(
                    "Slice",
                    [x, i64([run[0]], "start"), i64([run[-1] + 1], "end"), i64([1], "axis")],
                )
            )
            run.clear()

    for column in encoding.columns:
        if column.categories is None:
            run.append(position)
            position += 1
            continue
        flush()
        k = len(column.categories)
        codes = graph.node(
            "LabelEncoder",
            [next(texts).name],
            domain="ai.onnx.ml",
            keys_strings=list(column.categories),
            values_int64s=list(range(k)),
            default_int64=-1,
        )
        hot = graph.node("Equal", [codes, graph.constant(np.arange(k), "categories", np.int64)])
        pieces.append(graph.cast(hot, F64))
    flush()
    return pieces[0] if len(pieces) == 1 else graph.node("Concat", pieces, axis=1)
