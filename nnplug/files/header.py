"""Checks of a model file's JSON header, before anything is built from it.

A header is data from a file: every field is checked for type and range, the layer
widths it declares are judged against the weights the file holds, the layers are at most
:data:`~nnplug.nn.memory.MAX_LAYERS`, and the memory of loading the network and predicting
(:mod:`nnplug.nn.memory`: weights, the float64 copy, activations, depth included) is judged
against ``NNPLUG_MAX_BYTES`` (an 84 KB file must not make us allocate a 30000 x 30000
layer, nor a million layers); the ``training`` record (which ``nnplug evaluate`` reads)
must be well-formed.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeGuard

import numpy as np

from nnplug.data.encoding import encoding_from_record
from nnplug.files.container import ModelFileError
from nnplug.files.numbers import state_problem
from nnplug.nn import memory
from nnplug.nn.memory import MAX_LAYERS, LayerShape
from nnplug.safeio.text import is_printable, one_line

#: core layers that keep the width of their input (the chain of widths runs through them)
SAME_WIDTH = {"relu", "sigmoid", "tanh", "batchnorm", "dropout"}
#: longest text accepted for a name (dataset, metric: printed, so printable too) and for a
#: dataset option value (a column name may hold any character; readers print it sanitised)
NAME_CAP, TEXT_CAP = 100, 1 << 20
#: the SHA-256 of the training data's file (hex) in the ``training`` record
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _scalar(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, bool)
        or _number(value)
        or (isinstance(value, str) and len(value) <= TEXT_CAP)
    )


def training_problem(training: Any) -> str | None:
    """What is wrong with a header's ``training`` record (None when it is fine)."""
    if training is None:
        return None
    if not isinstance(training, dict):
        return "training must be a record"
    checks = {
        "dataset": lambda v: is_printable(v, NAME_CAP),
        "dataset_options": lambda v: (
            isinstance(v, dict)
            and all(
                is_printable(k, NAME_CAP)
                and (_scalar(x) or (isinstance(x, list) and all(_scalar(i) for i in x)))
                for k, x in v.items()
            )
        ),
        "seed": lambda v: _int(v) and 0 <= v < 2**32,
        "val_fraction": lambda v: _number(v) and 0 <= v < 1,
        "data_dir": lambda v: v is None or isinstance(v, str),
        "best_epoch": lambda v: _int(v) and v >= 0,
        "metric": lambda v: is_printable(v, NAME_CAP),
        "best_val_metric": lambda v: v is None or isinstance(v, (int, float)),
        "data_sha256": lambda v: isinstance(v, str) and bool(_SHA256.fullmatch(v)),
    }
    for key, ok in checks.items():
        if key in training and training[key] is not None and not ok(training[key]):
            return f"training.{key} = {one_line(repr(training[key]), 40)} is not valid"
    return None


def _width(options: dict[str, Any]) -> int | None:
    units = options.get("units")
    if _int(units) or (isinstance(units, float) and math.isfinite(units) and units.is_integer()):
        return int(units)
    return None


def declared_weights(in_features: int, records: list[dict[str, Any]]) -> tuple[int, list[int]]:
    """``(weights, widths)``: a lower bound of the weights the layers need and the widths
    of the layers that declare ``units``. The input width of a layer counts only when
    every layer before it keeps widths (core activations, batchnorm, dropout)."""
    weights, widths, prev = 0, [], in_features
    for rec in records:
        width = _width(rec.get("options") or {})
        if width is not None:
            weights += prev * width + width
            widths.append(width)
            prev = width
        elif not (rec.get("name") in SAME_WIDTH and rec.get("plugin") in (None, "core")):
            prev = 1  # unknown: a plugin layer may change the width
    return weights, widths


def check_model_header(meta: dict[str, Any], arrays: dict[str, Any], source: Any) -> None:
    """Refuse, in one line, a header whose fields are mistyped or whose declared sizes
    the file's arrays cannot hold or the limit does not allow."""

    def bad(why: str) -> ModelFileError:
        return ModelFileError(f"{source} has a damaged header ({why})")

    in_features, records = meta.get("in_features"), meta.get("layers")
    if not _int(in_features) or in_features < 1:
        raise bad("in_features must be a positive integer")
    if isinstance(records, list) and len(records) > MAX_LAYERS:
        raise bad(f"{len(records)} layer records; a network has at most {MAX_LAYERS} layers")
    if (
        not isinstance(records, list)
        or not records
        or not all(
            isinstance(r, dict)
            and is_printable(r.get("name"), NAME_CAP)
            and isinstance(r.get("options") or {}, dict)
            for r in records
        )
    ):
        raise bad("layers must be a list of named layer records")
    if not isinstance(meta.get("loss"), dict):
        raise bad("loss must be a record")
    scale = meta.get("scale", 1.0)
    if not _number(scale) or scale <= 0:
        raise bad("scale must be a finite number > 0")
    if meta.get("dtype") != "float64" and scale > float(np.finfo(np.float32).max):
        raise bad(f"scale {scale:.3g} is beyond the model's float32 range")
    classes, names = meta.get("classes"), meta.get("feature_names")
    if classes is not None and not (
        isinstance(classes, list) and all(isinstance(c, str) for c in classes)
    ):
        raise bad("classes must be a list of names")
    width = in_features
    if meta.get("encoding") is not None:  # raw columns -> the network's inputs
        try:
            encoding = encoding_from_record(meta["encoding"], in_features)
        except ValueError as exc:
            raise bad(str(exc)) from None
        width = len(encoding.columns)
        if names is not None and names != encoding.names:
            raise bad("feature_names must be the encoding's column names")
    if names is not None and not (
        isinstance(names, list) and len(names) == width and all(isinstance(n, str) for n in names)
    ):
        raise bad(f"feature_names must be a list of {width} column names")
    problem = training_problem(meta.get("training"))
    if problem:
        raise bad(problem)
    problem = state_problem(records, arrays)
    if problem:
        raise bad(problem)
    weights, _ = declared_weights(in_features, records)
    held = sum(int(a.size) for k, a in arrays.items() if k.startswith("state/"))
    if weights > held:
        raise bad(f"its layers need at least {weights} weights, the file holds {held}")
    itemsize = 8 if meta.get("dtype") == "float64" else 4
    shapes = record_shapes(in_features, records)
    memory.check(
        memory.estimate(shapes, itemsize=itemsize, training=False),
        f"{source}: loading this network and predicting",
        hint="",
    )


def record_shapes(in_features: int, records: list[dict[str, Any]]) -> list[LayerShape]:
    """The layer shapes the records declare, for the memory a model needs before it is
    built: a layer declaring ``units`` holds ``in x units`` weights and its bias, the core
    batchnorm its four vectors; any other layer keeps the width."""
    shapes, prev = [], in_features
    for rec in records:
        options = rec.get("options") or {}
        width = _width(options)
        if width is not None:
            bias = width if options.get("bias", True) is not False else 0
            shapes.append(LayerShape(prev, width, prev * width + bias, 0, prev * width))
            prev = width
        elif rec.get("name") == "batchnorm" and rec.get("plugin") in (None, "core"):
            shapes.append(LayerShape(prev, prev, 2 * prev, 2 * prev, prev))
        else:
            shapes.append(LayerShape(prev, prev))
    return shapes


def check_classes(meta: dict[str, Any], out_features: int | None, source: Any) -> None:
    """A classifier's class names must name every output of the built network."""
    classes = meta.get("classes")
    if (
        meta.get("task") == "classification"
        and classes is not None
        and len(classes) != out_features
    ):
        raise ModelFileError(
            f"{source} has a damaged header ({len(classes)} class names for {out_features} outputs)"
        )
