"""The saved input scaling of a model as ONNX nodes, computed as nnplug computes it.

Every kind a model file holds (:meth:`nnplug.files.model.Model.input_scaling`) is expressed,
in float64 as :mod:`nnplug.data.scaling` computes it:

* ``affine`` -- ``(x - mean) / std``, then clipped to the training range (``Max``/``Min``
  with per-feature bounds: ``np.clip``);
* ``quantile`` -- each feature through its quantiles to N(0, 1): NumPy's ``interp``
  (a binary search over the sorted quantiles by ``GatherElements``, ties and ends as
  NumPy treats them), upwards and downwards averaged, the bounds, then the normal quantile
  function. ONNX has no inverse error function; :func:`ndtri` is Acklam's rational
  approximation (relative error below 1.2e-9; the model's float32 input rounds at 6e-8).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnplug.data.scaling import BOUNDS
from nnplug.export.graph import OnnxGraph

F64 = np.float64

# Acklam's approximation of the normal quantile function: central region and lower tail
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
    1.0,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00, 1.0)
_P_LOW = 0.02425
#: ndtri of anything below this is clipped anyway (scaling's bound: about -5.2)
_P_FLOOR = 1e-8


def affine(graph: OnnxGraph, x: str, stats: dict[str, Any]) -> str:
    c = lambda key: graph.constant(stats[key], key, F64)  # noqa: E731
    z = graph.node("Div", [graph.node("Sub", [x, c("mean")]), c("std")])
    if stats.get("min") is not None:
        z = graph.node("Min", [graph.node("Max", [z, c("min")]), c("max")])
    return z


def _polynomial(graph: OnnxGraph, t: str, coefficients: tuple[float, ...]) -> str:
    """Horner's scheme: ((c0 t + c1) t + ...) + cn."""
    out = graph.constant(coefficients[0], "coef", F64)
    for c in coefficients[1:]:
        out = graph.node("Add", [graph.node("Mul", [out, t]), graph.constant(c, "coef", F64)])
    return out


def ndtri(graph: OnnxGraph, p: str) -> str:
    """The standard normal quantile of ``p`` (float64), for p in (0, 1) (clamped to
    [1e-8, 1 - 1e-8], below nnplug's clipping bound)."""
    p = graph.node(
        "Min",
        [
            graph.node("Max", [p, graph.constant(_P_FLOOR, "floor", F64)]),
            graph.constant(1 - _P_FLOOR, "ceiling", F64),
        ],
    )
    q = graph.node("Sub", [p, graph.constant(0.5, "half", F64)])
    r = graph.node("Mul", [q, q])
    central = graph.node(
        "Div", [graph.node("Mul", [_polynomial(graph, r, _A), q]), _polynomial(graph, r, _B)]
    )
    tail_p = graph.node("Min", [p, graph.node("Sub", [graph.constant(1.0, "one", F64), p])])
    t = graph.node(
        "Sqrt",
        [graph.node("Mul", [graph.constant(-2.0, "minus_two", F64), graph.node("Log", [tail_p])])],
    )
    lower = graph.node("Div", [_polynomial(graph, t, _C), _polynomial(graph, t, _D)])
    upper = graph.node("Greater", [p, graph.constant(0.5, "half", F64)])
    tail = graph.node("Where", [upper, graph.node("Neg", [lower]), lower])
    in_tail = graph.node("Less", [tail_p, graph.constant(_P_LOW, "p_low", F64)])
    return graph.node("Where", [in_tail, tail, central])


def interp(graph: OnnxGraph, x: str, xp: np.ndarray, fp: np.ndarray) -> str:
    """``np.interp(x[:, j], xp[:, j], fp)`` for every column j at once: ``xp`` (n x F)
    sorted per column, ``fp`` (n,)."""
    n = len(xp)
    i64 = lambda v, hint: graph.constant(v, hint, np.int64)  # noqa: E731
    table, values = graph.constant(xp, "quantiles", F64), graph.constant(fp, "references", F64)
    # count = how many xp <= x, by binary search (xp is sorted): what NumPy's search finds
    count = graph.zeros_like(x, np.int64)
    step = 1 << max(0, (n - 1).bit_length())
    while step >= 1:
        cand = graph.node("Add", [count, i64(step, "step")])
        at = graph.node("Min", [graph.node("Sub", [cand, i64(1, "one")]), i64(n - 1, "last")])
        fits = graph.node(
            "And",
            [
                graph.node("LessOrEqual", [graph.node("GatherElements", [table, at]), x]),
                graph.node("LessOrEqual", [cand, i64(n, "n")]),
            ],
        )
        count = graph.node("Where", [fits, cand, count])
        step //= 2
    lo = graph.node(
        "Min",
        [
            graph.node("Max", [graph.node("Sub", [count, i64(1, "one")]), i64(0, "zero")]),
            i64(n - 2, "n_minus_2"),
        ],
    )
    hi = graph.node("Add", [lo, i64(1, "one")])
    x_lo, x_hi = (graph.node("GatherElements", [table, k]) for k in (lo, hi))
    y_lo, y_hi = (graph.node("Gather", [values, k]) for k in (lo, hi))
    slope = graph.node("Div", [graph.node("Sub", [y_hi, y_lo]), graph.node("Sub", [x_hi, x_lo])])
    inside = graph.node("Add", [graph.node("Mul", [slope, graph.node("Sub", [x, x_lo])]), y_lo])
    inside = graph.node("Where", [graph.node("Equal", [x, x_lo]), y_lo, inside])
    first, last = graph.constant(fp[0], "fp_first", F64), graph.constant(fp[-1], "fp_last", F64)
    out = graph.node("Where", [graph.node("Equal", [count, i64(n, "n")]), last, inside])
    return graph.node("Where", [graph.node("Equal", [count, i64(0, "zero")]), first, out])


def quantile(graph: OnnxGraph, x: str, quantiles: np.ndarray, references: np.ndarray) -> str:
    """:func:`nnplug.data.scaling.quantile_normal` of ``x`` (float64)."""
    from scipy.special import ndtri as exact

    q, r = np.asarray(quantiles, F64), np.asarray(references, F64)
    up = interp(graph, x, q, r)
    down = interp(graph, graph.node("Neg", [x]), -q[::-1], -r[::-1])
    u = graph.node("Mul", [graph.constant(0.5, "half", F64), graph.node("Sub", [up, down])])
    bound = graph.constant(BOUNDS, "bounds", F64)
    first, last = graph.constant(q[0], "q_first", F64), graph.constant(q[-1], "q_last", F64)
    above = graph.node("Greater", [graph.node("Add", [x, bound]), last])
    below = graph.node("Less", [graph.node("Sub", [x, bound]), first])
    u = graph.node("Where", [above, graph.constant(1.0, "one", F64), u])
    u = graph.node("Where", [below, graph.constant(0.0, "zero", F64), u])
    lo = float(exact(BOUNDS - np.spacing(1)))
    z = ndtri(graph, u)
    return graph.node(
        "Min",
        [
            graph.node("Max", [z, graph.constant(lo, "z_min", F64)]),
            graph.constant(-lo, "z_max", F64),
        ],
    )


def input_scaling(graph: OnnxGraph, x: str, scaling: tuple[str, dict[str, Any]] | None) -> str:
    """``x`` (float64 rows) through a model's saved input scaling."""
    if scaling is None:
        return x
    kind, record = scaling
    if kind == "quantile":
        return quantile(graph, x, record["quantiles"], record["references"])
    return affine(graph, x, record)
