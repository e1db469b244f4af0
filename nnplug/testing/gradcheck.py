"""Numerical gradient checks (float64, central differences), reusable by plugin authors.

The relative error of an analytic gradient ``a`` against the numerical ``n`` is
``||a - n|| / max(||a|| + ||n||, tiny)``; a correct float64 backward reaches
~1e-9 on these sizes, and anything above ``tolerance`` (1e-6) fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from nnplug.base import Layer, Loss

TOLERANCE = 1e-6


def rel_error(a: np.ndarray, n: np.ndarray, floor: float = 1e-7) -> float:
    """``||a - n|| / max(||a|| + ||n||, floor)``; the floor keeps gradients that are
    exactly zero in theory (a bias before BatchNorm) from dividing round-off by zero."""
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(n)), floor)
    return float(np.linalg.norm(a - n) / denom)


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of scalar ``f()`` with respect to ``x`` (perturbed in place)."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


@dataclass
class GradCheckResult:
    """Relative error per checked tensor (``"input"`` and each parameter name)."""

    name: str
    errors: dict[str, float] = field(default_factory=dict)
    tolerance: float = TOLERANCE

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.max_error)) and self.max_error < self.tolerance


def check_layer(
    layer: Layer,
    *,
    in_features: int = 5,
    batch: int = 4,
    seed: int = 0,
    training: bool = True,
    eps: float = 1e-6,
    tolerance: float = TOLERANCE,
) -> GradCheckResult:
    """Check d(sum(forward(x) * dy))/dx and /dparams against ``layer.backward``.

    ``training=False`` checks eval mode, after three training-mode forwards of shifted
    random batches (so running statistics, e.g. BatchNorm's, are not the initial ones).

    The layer is built here in float64. A layer that draws random numbers (``rng``
    attribute, e.g. dropout) gets the same generator state for every forward call.
    """
    rng = np.random.default_rng(seed)
    layer.build(in_features, rng=np.random.default_rng(seed + 1), dtype=np.float64, init="he")
    for value in layer.params.values():  # non-trivial parameters (e.g. gamma != 1)
        value += rng.standard_normal(value.shape) * 0.5
    if not training:  # non-trivial running statistics (BatchNorm's) from training batches
        layer.train(True)
        for shift in (1.0, -0.5, 2.0):
            layer.forward(rng.standard_normal((batch, in_features)) * (1 + shift) + shift)
    layer.train(training)
    x = rng.standard_normal((batch, in_features))
    dy = rng.standard_normal((batch, cast(int, layer.out_features)))  # set by build()
    uses_rng = hasattr(layer, "rng")

    def f() -> float:
        if uses_rng:
            # a layer's own generator, found by hasattr above (not a Layer attribute)
            layer.rng = np.random.default_rng(seed + 2)  # type: ignore[attr-defined]
        return float(np.sum(layer.forward(x) * dy))

    f()
    layer.zero_grads()
    dx = layer.backward(dy.copy())
    analytic = {"input": np.array(dx, copy=True)}
    analytic.update({k: g.copy() for k, g in layer.grads.items()})
    result = GradCheckResult(getattr(layer, "name", type(layer).__name__), tolerance=tolerance)
    result.errors["input"] = rel_error(analytic["input"], numerical_grad(f, x, eps))
    for key, value in layer.params.items():
        result.errors[key] = rel_error(analytic[key], numerical_grad(f, value, eps))
    return result


def check_layer_modes(layer: Layer, **kw: Any) -> GradCheckResult:
    """:func:`check_layer` in training mode and in eval mode (what input gradients of a
    trained model, e.g. saliency maps, run); eval-mode errors are keyed ``eval:<name>``."""
    result = check_layer(layer, training=True, **kw)
    evaluated = check_layer(layer, training=False, **kw)
    result.errors.update({f"eval:{k}": v for k, v in evaluated.errors.items()})
    return result


def check_loss(
    loss: Loss,
    *,
    n_outputs: int = 4,
    batch: int = 5,
    seed: int = 0,
    eps: float = 1e-6,
    tolerance: float = TOLERANCE,
) -> GradCheckResult:
    """Check ``loss.backward()`` against central differences of ``loss.forward``."""
    rng = np.random.default_rng(seed)
    out = rng.standard_normal((batch, n_outputs)) * 2
    if loss.task == "classification":
        target: Any = rng.integers(0, n_outputs, size=batch)
    else:
        target = rng.standard_normal((batch, n_outputs))
    loss.forward(out, target)
    analytic = np.array(loss.backward(), copy=True)
    numeric = numerical_grad(lambda: loss.forward(out, target), out, eps)
    result = GradCheckResult(getattr(loss, "name", type(loss).__name__), tolerance=tolerance)
    result.errors["input"] = rel_error(analytic, numeric)
    return result
