"""Conformance of a layer class, check by check (the layer half of :mod:`nnplug.testing`):
``assert_layer_conforms(MyLayer, {"alpha": 0.1})`` in a pytest test, or
:func:`layer_report` for the :class:`~nnplug.testing.report.Report`. Each rule is one named
function of :data:`LAYER_CHECKS`, run on a :class:`LayerCase`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnplug.base import Layer, example_options
from nnplug.nn.sequential import Sequential
from nnplug.testing.conformance import _built, _name_and_options
from nnplug.testing.gradcheck import TOLERANCE, check_layer
from nnplug.testing.report import Report, expect

_DTYPES = (np.float32, np.float64)


@dataclass
class LayerCase:
    """What every layer check receives: the class, its options, the sizes, the seed, one
    fixed float64 input and the report (gradient checks record their worst error in it)."""

    cls: type[Layer]
    options: dict[str, Any]
    in_features: int
    batch: int
    seed: int
    report: Report
    rng: np.random.Generator = field(init=False)
    x64: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.x64 = self.rng.standard_normal((self.batch, self.in_features))


def check_naming(case: LayerCase) -> str | None:
    """The class subclasses Layer; name and case.options as the registry and model files need."""
    expect(issubclass(case.cls, Layer), "must subclass nnplug.base.Layer")
    return _name_and_options(case.cls, case.options)


def check_shapes(case: LayerCase) -> str:
    """build returns the output width; forward/backward give the shapes it implies."""
    outs = []
    for width in (case.in_features, case.in_features + 3):
        layer = case.cls(**case.options)
        out = layer.build(width, rng=np.random.default_rng(case.seed), dtype=np.float64)
        expect(
            isinstance(out, (int, np.integer)) and out >= 1,
            f"build({width}) must return the output width, got {out!r}",
        )
        expect(
            (layer.in_features, layer.out_features) == (width, out),
            f"build({width}) -> {out} but in/out_features are "
            f"{layer.in_features}/{layer.out_features}",
        )
        y = layer.forward(case.rng.standard_normal((case.batch, width)))
        expect(
            y.shape == (case.batch, out), f"forward gave {y.shape}, expected {(case.batch, out)}"
        )
        dx = layer.backward(np.ones_like(y))
        expect(
            dx.shape == (case.batch, width), f"backward gave {dx.shape} for {(case.batch, width)}"
        )
        outs.append(f"{width}->{out}")
    return ", ".join(outs)


def check_params(case: LayerCase) -> str:
    """grads match params key for key, shape and dtype; decay names parameters."""
    layer = _built(case.cls, case.options, case.in_features, np.float64)
    expect(
        set(layer.params) == set(layer.grads),
        f"params {sorted(layer.params)} and grads {sorted(layer.grads)} differ",
    )
    for k, v in layer.params.items():
        g = layer.grads[k]
        expect(
            g.shape == v.shape and g.dtype == v.dtype,
            f"grads[{k!r}] {g.shape} {g.dtype} differs from params {v.shape} {v.dtype}",
        )
    expect(set(layer.decay) <= set(layer.params), f"decay {layer.decay} not in params")
    return f"params {sorted(layer.params)}"


def check_gradients(case: LayerCase, training: bool = True) -> str:
    """Analytic gradients against float64 central differences (training mode)."""
    result = check_layer(
        case.cls(**case.options),
        in_features=case.in_features,
        batch=case.batch,
        seed=case.seed,
        training=training,
    )
    case.report.max_error = max(case.report.max_error, result.max_error)
    bad = {k: f"{e:.2e}" for k, e in result.errors.items() if not e < TOLERANCE}
    expect(result.passed, f"relative error >= {TOLERANCE:g}: {bad}")
    return f"max relative error {result.max_error:.2e}"


def check_modes(case: LayerCase) -> None:
    """train()/eval() switch and return the layer; eval forward is deterministic and
    changes no state."""
    layer = _built(case.cls, case.options, case.in_features, np.float64)
    expect(
        layer.train(False) is layer and layer.training is False,
        "train(False) must set training=False and return the layer",
    )
    expect(layer.train() is layer and layer.training is True, "train() must set training=True")
    expect(layer.eval() is layer and layer.training is False, "eval() must set training=False")
    state = {k: v.copy() for k, v in {**layer.params, **layer.buffers}.items()}
    y1, y2 = layer.forward(case.x64.copy()), layer.forward(case.x64.copy())
    expect(np.array_equal(y1, y2), "eval-mode forward is not deterministic")
    for k, v in {**layer.params, **layer.buffers}.items():
        expect(np.array_equal(state[k], v), f"eval-mode forward changed {k!r}")


def check_inputs_untouched(case: LayerCase) -> None:
    """forward leaves its input and backward its dy unchanged."""
    layer = _built(case.cls, case.options, case.in_features, np.float64)
    x = case.x64.copy()
    dy = np.ones_like(layer.forward(x))
    layer.backward(dy)
    expect(np.array_equal(x, case.x64), "forward modified its input")
    expect(np.all(dy == 1), "backward modified its dy")
    layer.eval().forward(x)
    expect(np.array_equal(x, case.x64), "eval-mode forward modified its input")


def check_updates_visible(case: LayerCase) -> str:
    """Params are the layer's own arrays: in-place updates change its output; backward
    fills grads in place."""

    model = Sequential([case.cls(**case.options)]).build(
        case.in_features, rng=case.seed, dtype=np.float64
    )
    layer = model.layers[0]
    for p in model.parameters():
        key = p.key.split(".", 1)[1]
        expect(
            p.value is layer.params[key] and p.grad is layer.grads[key],
            f"Param {key!r} is not the layer's own array",
        )
    grads = dict(layer.grads)
    layer.backward(np.ones_like(layer.forward(case.x64)))
    for k, g in grads.items():
        expect(layer.grads[k] is g, f"backward rebound grads[{k!r}]; fill it in place")
    layer.eval()
    before = layer.forward(case.x64)
    for p in model.parameters():  # what an optimizer does: change the array in place
        p.value += 0.5
        after = layer.forward(case.x64)
        p.value -= 0.5
        expect(
            not np.allclose(before, after),
            f"an in-place change of params[{p.key.split('.', 1)[1]!r}] does not "
            f"change the output (does forward use a copy?)",
        )
    return f"{len(model.parameters())} parameter(s)"


def check_dtypes(case: LayerCase) -> None:
    """float32 and float64 layers keep their dtype in every array and output."""
    for dtype in _DTYPES:
        layer = _built(case.cls, case.options, case.in_features, dtype)
        for k, v in {**layer.params, **layer.grads, **layer.buffers}.items():
            expect(v.dtype == dtype, f"{k!r} is {v.dtype} in a {np.dtype(dtype)} layer")
        y = layer.forward(case.x64.astype(dtype))
        expect(y.dtype == dtype, f"forward turned {np.dtype(dtype)} into {y.dtype}")
        dx = layer.backward(np.ones_like(y))
        expect(dx.dtype == dtype, f"backward turned {np.dtype(dtype)} into {dx.dtype}")
        y = layer.eval().forward(case.x64.astype(dtype))
        expect(y.dtype == dtype, f"eval forward turned {np.dtype(dtype)} into {y.dtype}")


def check_eval_gradients(case: LayerCase) -> str:
    """Input gradients in eval mode (of a trained model: running statistics fixed)."""
    return check_gradients(case, training=False)


#: every layer check, in the order a report lists them (scikit-learn's estimator checks
#: are the model: one named function per rule, run independently)
LAYER_CHECKS: list[tuple[str, Callable[[LayerCase], Any]]] = [
    ("name and options", check_naming),
    ("shape inference", check_shapes),
    ("params and grads", check_params),
    ("gradients", check_gradients),
    ("gradients in eval mode", check_eval_gradients),
    ("train/eval mode", check_modes),
    ("inputs left unchanged", check_inputs_untouched),
    ("parameter updates visible", check_updates_visible),
    ("dtype float32/float64", check_dtypes),
]


def layer_report(
    cls: type[Layer],
    options: dict[str, Any] | None = None,
    *,
    in_features: int = 6,
    batch: int = 5,
    seed: int = 0,
) -> Report:
    """Run every check of :data:`LAYER_CHECKS` on ``cls(**options)`` (options default to
    :func:`~nnplug.base.example_options`).

    Gradients are checked in training mode (what backpropagation runs) and in eval mode
    (input gradients of a trained model, after a few training batches set any running
    statistics); eval mode is also checked for determinism, unchanged state and dtypes."""
    options = example_options(cls) if options is None else dict(options)
    report = Report(getattr(cls, "name", None) or cls.__name__)
    case = LayerCase(cls, options, in_features, batch, seed, report)
    for name, check in LAYER_CHECKS:
        report.run(name, functools.partial(check, case))
    return report


def assert_layer_conforms(
    cls: type[Layer], options: dict[str, Any] | None = None, **kw: Any
) -> Report:
    """Raise ``AssertionError`` naming every failed layer check (see :func:`layer_report`)."""
    return layer_report(cls, options, **kw).raise_for_failures()


# -- losses ----------------------------------------------------------------------------


__all__ = [
    "LAYER_CHECKS",
    "LayerCase",
    "assert_layer_conforms",
    "check_dtypes",
    "check_eval_gradients",
    "check_gradients",
    "check_inputs_untouched",
    "check_modes",
    "check_naming",
    "check_params",
    "check_shapes",
    "check_updates_visible",
    "layer_report",
]
