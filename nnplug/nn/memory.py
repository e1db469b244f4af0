"""The memory a training run (or a prediction) needs, estimated before it is allocated.

``NNPLUG_MAX_BYTES`` bounds what one input may ask for; here it also bounds a whole run:
one estimate of every array training allocates, judged before the network is built (from
the spec and the data's widths) and again once it is built (from its real arrays), before
the optimizer, the best-epoch copy or the float64 prediction copy exist. With ``it`` the
model's item size, ``P``/``B`` its parameter/buffer elements, ``p`` its largest parameter
array and ``s`` the optimizer's state slots per parameter (Adam: 2; unknown: 2):

* the network: ``(2 P + B) it`` -- parameters, buffers, gradients;
* the optimizer state ``s P it`` (twice while a checkpoint's is restored: ``--resume``
  also holds the checkpoint's arrays, ``2 (P + B) it``);
* the best epoch's copy ``(P + B) it``; a per-op update's temporaries ``4 p it``;
* the float64 prediction copy (:meth:`~nnplug.nn.sequential.Sequential.float64_twin`):
  ``(P + 2 B) 8`` plus ``4 p 8`` while its largest layer is initialised;
* activations and workspace, per layer -- depth counts: per training row ``3 max(in,
  out)`` plus the layer's declared kernel work, for ``batch`` rows (``max(batch, 256)`` on
  a compiling backend, whose evaluation arenas hold 256 rows); per prediction row ``out``
  in the model dtype and in float64, for :data:`PREDICT_ROWS` rows; and the predictions of
  a split (``2 n_out 8`` per row);
* :data:`LAYER_OVERHEAD` bytes of Python objects per layer (network and copy).

Building the network briefly holds its layers' own arrays beside the flat ones (``4 P
it`` plus the float64 draws of the largest initialisation); the estimate is the larger of
that and the rest. Each term is an upper bound of what the code allocates, so a run that
passes stays under the limit plus the interpreter's own memory (tested per backend in
``tests/reliability/test_run_memory.py``); the limit is raised with ``NNPLUG_MAX_BYTES``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnplug.errors import NNPlugError
from nnplug.safeio.limits import ENV, LimitError, human, max_bytes

#: the most layers a network (a spec, a model file) may have
MAX_LAYERS = 10_000
#: rows a prediction pushes through the network at once (``Sequential.predict_raw``)
PREDICT_ROWS = 1024
#: rows of a compiling backend's arenas at least (the numba trainer evaluates 256 rows)
COMPILED_ROWS = 256
#: Python objects of one layer: the layer, its dicts and workspace, its float64 copy
LAYER_OVERHEAD = 4096
#: optimizer slots assumed for an optimizer that declares none (no compiled kernels)
UNKNOWN_SLOTS = 2


@dataclass(frozen=True)
class LayerShape:
    """What a layer allocates: its widths, parameter and buffer elements, its largest
    parameter array and the scratch elements its kernels declare per batch row."""

    in_width: int
    out_width: int
    params: int = 0
    buffers: int = 0
    largest: int = 0
    work: int = 0


def check_depth(spec: str | None) -> None:
    """Refuse a spec of more than :data:`MAX_LAYERS` layers before parsing it."""
    if spec and spec.count(",") >= MAX_LAYERS:
        raise NNPlugError(
            f"--layers names {spec.count(',') + 1} layers; at most {MAX_LAYERS} are allowed"
        )


def spec_shapes(
    spec: str, in_features: int, n_outputs: int, hidden: int, registry: Any
) -> list[LayerShape]:
    """The shapes a spec (plus its output ``linear``) builds, known before building: a
    layer with a ``units`` positional holds ``in x units`` weights and its bias; any other
    keeps the width (a plugin layer's own arrays are counted once it is built)."""
    from nnplug.spec import parse_spec

    shapes, width = [], in_features
    for item in [*parse_spec(spec), None]:
        if item is None:
            units, bias = n_outputs, True
        elif getattr(registry.get("layer", item.name).cls, "positional", None) == "units":
            units = int(item.positional or item.options.get("units") or hidden)
            bias = bool(item.options.get("bias", True))
        else:
            shapes.append(LayerShape(width, width))
            continue
        n = width * units + (units if bias else 0)
        shapes.append(LayerShape(width, units, params=n, largest=width * units))
        width = units
    return shapes


def model_shapes(model: Any) -> list[LayerShape]:
    """The shapes of a built network's layers, from their arrays."""
    shapes = []
    for layer in model.layers:
        sizes = [int(a.size) for a in layer.params.values()]
        work = 0
        try:
            for shape in layer.kernel_work().values():
                work += math.prod(int(d) for d in shape[1:]) if shape and shape[0] == -1 else 0
        except Exception:  # noqa: BLE001 - a plugin's declaration: counted as none
            work = 0
        shapes.append(
            LayerShape(
                int(layer.in_features or 0),
                int(layer.out_features or 0),
                params=sum(sizes),
                buffers=sum(int(a.size) for a in layer.buffers.values()),
                largest=max(sizes, default=0),
                work=work,
            )
        )
    return shapes


@dataclass
class Estimate:
    """The parts of an estimate in bytes (``parts``) and the layers they are for."""

    parts: dict[str, int]
    layers: int

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def describe(self) -> str:
        return ", ".join(f"{name} {human(n)}" for name, n in self.parts.items() if n)


def estimate(
    shapes: list[LayerShape],
    *,
    itemsize: int,
    eval_rows: int = 1,
    training: bool = True,
    batch: int = 0,
    train_rows: int | None = None,
    slots: int = 0,
    compiled: bool = False,
    resume: bool = False,
) -> Estimate:
    """The bytes a run of a network of these ``shapes`` needs (see the module's text).

    ``eval_rows``: the rows of the largest prediction (a split, an input file; predicted
    :data:`PREDICT_ROWS` at a time). ``training=False``: loading the network and
    predicting (``nnplug predict``, ``evaluate``); else a training run of ``batch`` rows
    per step (at most ``train_rows``, the training split), ``slots`` optimizer arrays per
    parameter, on a ``compiled`` backend or per op, from a checkpoint (``resume``)."""
    it, n = itemsize, len(shapes)
    P = sum(s.params for s in shapes)
    B = sum(s.buffers for s in shapes)
    p = max((s.largest for s in shapes), default=0)
    n_in = shapes[0].in_width if shapes else 0
    n_out = shapes[-1].out_width if shapes else 0
    outs = sum(s.out_width for s in shapes)
    rows = min(PREDICT_ROWS, max(eval_rows, 1))
    # float64 copy: each layer's output and the input rounded twice; all splits' outputs
    acts = rows * (outs + 3 * n_in + n_out) * 8 + 2 * n_out * 8 * max(eval_rows, 1)
    parts = {
        "network and gradients": (2 * P + B) * it,
        "optimizer state": 0,
        "checkpoint being resumed": 0,
        "best-epoch copy": 0,
        "update temporaries": 0,
        "float64 prediction copy": (P + 2 * B + 4 * p) * 8,
        "activations": acts,
        "layer objects": 2 * n * LAYER_OVERHEAD,
    }
    if training:
        step = min(batch, train_rows) if train_rows is not None else batch
        step = max(step, COMPILED_ROWS) if compiled else step
        per_row = sum(3 * max(s.in_width, s.out_width) + s.work for s in shapes)
        parts["optimizer state"] = slots * P * it * (2 if resume else 1)
        parts["checkpoint being resumed"] = 2 * (P + B) * it if resume else 0
        parts["best-epoch copy"] = (P + B) * it
        parts["update temporaries"] = 4 * p * it
        # training steps; validation in the model dtype, a batch of predictions at a time
        parts["activations"] += (
            step * (per_row + 2 * n_in + 2 * n_out) + rows * (outs + 2 * n_in)
        ) * it
    building = (4 * P + 2 * B) * it + 2 * p * 8
    if building > sum(parts.values()):
        parts = {"building the network": building}
    return Estimate(parts, n)


def check_prediction(network: Any, rows: int, what: str = "predicting") -> None:
    """Before a built network predicts ``rows`` rows: its float64 copy and activations."""
    est = estimate(
        model_shapes(network),
        itemsize=np.dtype(network.dtype).itemsize,
        eval_rows=rows,
        training=False,
    )
    check(est, f"{what} {rows} rows with this network", hint="")


#: what else a user can do about a run over the limit
TRAINING_HINT = "; or use fewer or narrower layers, or a smaller --batch-size"


def check(est: Estimate, what: str, hint: str = TRAINING_HINT) -> None:
    """Refuse, in one line with the estimate's parts, when it exceeds the limit."""
    limit = max_bytes()
    if est.total > limit:
        raise LimitError(
            f"{what} needs about {human(est.total)} ({est.describe()}; {est.layers} "
            f"layers), more than the {ENV} limit of {human(limit)} (raise {ENV} to allow "
            f"it{hint})"
        )


def optimizer_slots(cls: Any) -> int:
    """State arrays per parameter an optimizer class keeps (its compiled kernels' slots;
    :data:`UNKNOWN_SLOTS` when it declares none)."""
    kernels = getattr(cls, "kernels", None)
    return len(kernels.slots) if kernels is not None else UNKNOWN_SLOTS


__all__ = [
    "COMPILED_ROWS",
    "LAYER_OVERHEAD",
    "MAX_LAYERS",
    "PREDICT_ROWS",
    "TRAINING_HINT",
    "UNKNOWN_SLOTS",
    "Estimate",
    "LayerShape",
    "check",
    "check_depth",
    "check_prediction",
    "estimate",
    "model_shapes",
    "optimizer_slots",
    "spec_shapes",
]
