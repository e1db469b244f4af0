"""Conformance checks for plugin authors, e.g. ``assert_layer_conforms(MyLayer, {"a": 1})``
in a pytest test. Every check runs even when an earlier one fails; ``assert_*`` raise one
``AssertionError`` listing each failed check with a one-line reason (``*_report`` return
the :class:`Report`). Gradients: float64 central differences, relative error < 1e-6."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from nnplug.base import Component, Layer, Loss, Optimizer, Param, example_options
from nnplug.testing.gradcheck import TOLERANCE, check_layer, check_loss
from nnplug.testing.report import Report, expect

_DTYPES = (np.float32, np.float64)


def _settings(obj: Any) -> dict[str, Any]:
    """Public scalar attributes: what a constructor option usually ends up as."""
    return {
        k: v
        for k, v in vars(obj).items()
        if not k.startswith("_") and isinstance(v, (bool, int, float, str, type(None)))
    }


def _name_and_options(
    cls: type[Component], options: dict[str, Any] | None, rebuilds: bool = True
) -> str | None:
    """Shared component checks: a spec-friendly name, a real positional, and (``rebuilds``)
    ``type(obj)(**obj.options())`` recreating the same settings (model files rely on it)."""
    from nnplug.spec import parse_token

    name = getattr(cls, "name", None)
    expect(isinstance(name, str) and name, f"class attribute 'name' must be a string: {name!r}")
    assert isinstance(name, str)  # for mypy: expect() raised otherwise
    expect(
        parse_token(name).name == name and "/" not in name,
        f"name {name!r} cannot be written in a spec (letters, digits, _ and -)",
    )
    expect(
        cls.positional is None or cls.positional in inspect.signature(cls).parameters,
        f"positional {cls.positional!r} is not an __init__ parameter",
    )
    obj = cls(**(options or {}))
    opts = obj.options()
    expect(isinstance(opts, dict), "options() must return a dict")
    again = type(obj)(**opts)
    if rebuilds:
        lost = {k: v for k, v in _settings(obj).items() if _settings(again).get(k) != v}
        expect(
            again.options() == opts and not lost,
            f"options() {opts} does not rebuild the component: lost {lost}",
        )
    return f"options {opts}"


# -- layers ----------------------------------------------------------------------------
def _built(cls: type[Layer], options: dict, width: int, dtype: Any, seed: int = 0) -> Layer:
    layer = cls(**options)
    layer.build(width, rng=np.random.default_rng(seed), dtype=dtype, init="he")
    return layer


def layer_report(
    cls: type[Layer],
    options: dict[str, Any] | None = None,
    *,
    in_features: int = 6,
    batch: int = 5,
    seed: int = 0,
) -> Report:
    """Run every layer check on ``cls(**options)`` (options default to :func:`example_options`).

    Gradients are checked in training mode (what backpropagation runs) and in eval mode
    (input gradients of a trained model, after a few training batches set any running
    statistics); eval mode is also checked for determinism, unchanged state and dtypes."""
    options = example_options(cls) if options is None else dict(options)
    report = Report(getattr(cls, "name", None) or cls.__name__)
    rng = np.random.default_rng(seed)
    x64 = rng.standard_normal((batch, in_features))

    def naming() -> str | None:
        expect(issubclass(cls, Layer), "must subclass nnplug.base.Layer")
        return _name_and_options(cls, options)

    def shapes() -> str:
        outs = []
        for width in (in_features, in_features + 3):
            layer = cls(**options)
            out = layer.build(width, rng=np.random.default_rng(seed), dtype=np.float64)
            expect(
                isinstance(out, (int, np.integer)) and out >= 1,
                f"build({width}) must return the output width, got {out!r}",
            )
            expect(
                (layer.in_features, layer.out_features) == (width, out),
                f"build({width}) -> {out} but in/out_features are "
                f"{layer.in_features}/{layer.out_features}",
            )
            y = layer.forward(rng.standard_normal((batch, width)))
            expect(y.shape == (batch, out), f"forward gave {y.shape}, expected {(batch, out)}")
            dx = layer.backward(np.ones_like(y))
            expect(dx.shape == (batch, width), f"backward gave {dx.shape} for {(batch, width)}")
            outs.append(f"{width}->{out}")
        return ", ".join(outs)

    def params() -> str:
        layer = _built(cls, options, in_features, np.float64)
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

    def gradients(training: bool = True) -> str:
        result = check_layer(
            cls(**options), in_features=in_features, batch=batch, seed=seed, training=training
        )
        report.max_error = max(report.max_error, result.max_error)
        bad = {k: f"{e:.2e}" for k, e in result.errors.items() if not e < TOLERANCE}
        expect(result.passed, f"relative error >= {TOLERANCE:g}: {bad}")
        return f"max relative error {result.max_error:.2e}"

    def modes() -> None:
        layer = _built(cls, options, in_features, np.float64)
        expect(
            layer.train(False) is layer and layer.training is False,
            "train(False) must set training=False and return the layer",
        )
        expect(layer.train() is layer and layer.training is True, "train() must set training=True")
        expect(layer.eval() is layer and layer.training is False, "eval() must set training=False")
        state = {k: v.copy() for k, v in {**layer.params, **layer.buffers}.items()}
        y1, y2 = layer.forward(x64.copy()), layer.forward(x64.copy())
        expect(np.array_equal(y1, y2), "eval-mode forward is not deterministic")
        for k, v in {**layer.params, **layer.buffers}.items():
            expect(np.array_equal(state[k], v), f"eval-mode forward changed {k!r}")

    def inputs_untouched() -> None:
        layer = _built(cls, options, in_features, np.float64)
        x = x64.copy()
        dy = np.ones_like(layer.forward(x))
        layer.backward(dy)
        expect(np.array_equal(x, x64), "forward modified its input")
        expect(np.all(dy == 1), "backward modified its dy")
        layer.eval().forward(x)
        expect(np.array_equal(x, x64), "eval-mode forward modified its input")

    def updates_visible() -> str:
        from nnplug.nn.sequential import Sequential

        model = Sequential([cls(**options)]).build(in_features, rng=seed, dtype=np.float64)
        layer = model.layers[0]
        for p in model.parameters():
            key = p.key.split(".", 1)[1]
            expect(
                p.value is layer.params[key] and p.grad is layer.grads[key],
                f"Param {key!r} is not the layer's own array",
            )
        grads = dict(layer.grads)
        layer.backward(np.ones_like(layer.forward(x64)))
        for k, g in grads.items():
            expect(layer.grads[k] is g, f"backward rebound grads[{k!r}]; fill it in place")
        layer.eval()
        before = layer.forward(x64)
        for p in model.parameters():  # what an optimizer does: change the array in place
            p.value += 0.5
            after = layer.forward(x64)
            p.value -= 0.5
            expect(
                not np.allclose(before, after),
                f"an in-place change of params[{p.key.split('.', 1)[1]!r}] does not "
                f"change the output (does forward use a copy?)",
            )
        return f"{len(model.parameters())} parameter(s)"

    def dtypes() -> None:
        for dtype in _DTYPES:
            layer = _built(cls, options, in_features, dtype)
            for k, v in {**layer.params, **layer.grads, **layer.buffers}.items():
                expect(v.dtype == dtype, f"{k!r} is {v.dtype} in a {np.dtype(dtype)} layer")
            y = layer.forward(x64.astype(dtype))
            expect(y.dtype == dtype, f"forward turned {np.dtype(dtype)} into {y.dtype}")
            dx = layer.backward(np.ones_like(y))
            expect(dx.dtype == dtype, f"backward turned {np.dtype(dtype)} into {dx.dtype}")
            y = layer.eval().forward(x64.astype(dtype))
            expect(y.dtype == dtype, f"eval forward turned {np.dtype(dtype)} into {y.dtype}")

    for name, fn in [
        ("name and options", naming),
        ("shape inference", shapes),
        ("params and grads", params),
        ("gradients", gradients),
        ("gradients in eval mode", lambda: gradients(training=False)),
        ("train/eval mode", modes),
        ("inputs left unchanged", inputs_untouched),
        ("parameter updates visible", updates_visible),
        ("dtype float32/float64", dtypes),
    ]:
        report.run(name, fn)
    return report


def assert_layer_conforms(
    cls: type[Layer], options: dict[str, Any] | None = None, **kw: Any
) -> Report:
    """Raise ``AssertionError`` naming every failed layer check (see :func:`layer_report`)."""
    return layer_report(cls, options, **kw).raise_for_failures()


# -- losses ----------------------------------------------------------------------------
def loss_report(
    cls: type[Loss],
    options: dict[str, Any] | None = None,
    *,
    n_outputs: int = 4,
    batch: int = 5,
    seed: int = 0,
) -> Report:
    """Name/options, task, float64 gradient, dtypes and target shapes of a loss."""
    options = example_options(cls) if options is None else dict(options)
    report = Report(getattr(cls, "name", None) or cls.__name__)
    rng = np.random.default_rng(seed)

    def naming() -> str | None:
        expect(issubclass(cls, Loss), "must subclass nnplug.base.Loss")
        expect(
            cls.task in ("classification", "regression"),
            f"task must be 'classification' or 'regression', got {cls.task!r}",
        )
        return _name_and_options(cls, options)

    def gradient() -> str:
        result = check_loss(cls(**options), n_outputs=n_outputs, batch=batch, seed=seed)
        report.max_error = max(report.max_error, result.max_error)
        expect(result.passed, f"relative error {result.max_error:.2e} >= {TOLERANCE:g}")
        return f"max relative error {result.max_error:.2e}"

    def dtypes() -> None:
        for dtype in _DTYPES:
            loss = cls(**options)
            out = rng.standard_normal((batch, n_outputs)).astype(dtype)
            target = (
                rng.integers(0, n_outputs, size=batch)
                if cls.task == "classification"
                else rng.standard_normal((batch, n_outputs)).astype(dtype)
            )
            value = loss.forward(out, target)
            expect(np.isfinite(float(value)), f"forward returned {value!r}")
            grad = loss.backward()
            expect(
                grad.shape == out.shape and grad.dtype == dtype,
                f"backward gave {grad.shape} {grad.dtype} for outputs {out.shape} {out.dtype}",
            )
            pred = np.asarray(loss.predict(out))
            expect(pred.shape[0] == batch, f"predict gave {pred.shape} for {batch} rows")

    def one_output_targets() -> None:
        if cls.task == "regression":
            out, flat = rng.standard_normal((batch, 1)), rng.standard_normal(batch)
            a, b = cls(**options).forward(out, flat), cls(**options).forward(out, flat[:, None])
            expect(np.isclose(a, b), f"targets of shape (n,) and (n, 1) give {a} and {b}")

    for name, fn in [
        ("name, task and options", naming),
        ("gradient", gradient),
        ("dtype float32/float64", dtypes),
        ("targets (n,) for one output", one_output_targets),
    ]:
        report.run(name, fn)
    return report


def assert_loss_conforms(
    cls: type[Loss], options: dict[str, Any] | None = None, **kw: Any
) -> Report:
    """Raise ``AssertionError`` naming every failed loss check (see :func:`loss_report`)."""
    return loss_report(cls, options, **kw).raise_for_failures()


# -- optimizers ------------------------------------------------------------------------
def optimizer_report(
    cls: type[Optimizer], options: dict[str, Any] | None = None, *, steps: int = 200, seed: int = 0
) -> Report:
    """In-place updates, dtypes, weight decay on weights only, and descent on a quadratic
    ``f(x) = sum(a (x - c)^2) / 2`` (default ``lr=0.05``)."""
    options = {"lr": 0.05, **example_options(cls), **(options or {})}
    report = Report(getattr(cls, "name", None) or cls.__name__)
    rng = np.random.default_rng(seed)

    def naming() -> str | None:
        expect(issubclass(cls, Optimizer), "must subclass nnplug.base.Optimizer")
        return _name_and_options(cls, options, rebuilds=False)

    def in_place() -> None:
        for dtype in _DTYPES:
            value = rng.standard_normal((3, 4)).astype(dtype)
            grad = rng.standard_normal((3, 4)).astype(dtype)
            start = value.copy()
            cls(**options).step([Param("0.W", value, grad, True)])
            expect(value.dtype == dtype, f"update turned {np.dtype(dtype)} into {value.dtype}")
            expect(
                not np.array_equal(value, start), "step did not change the parameter array in place"
            )

    def weight_decay() -> None:
        w, b = np.ones(4), np.ones(4)
        opt = cls(**{**options, "weight_decay": 0.1})
        opt.step([Param("0.W", w, np.zeros(4), True), Param("0.b", b, np.zeros(4), False)])
        expect(np.all(w < 1), "weight_decay did not shrink a decayed weight with zero gradient")
        expect(np.all(b == 1), "weight_decay changed a parameter that is not decayed")

    def descent() -> str:
        a, c = rng.uniform(0.5, 2.0, 10), rng.standard_normal(10)
        x, g, opt = np.zeros(10), np.zeros(10), cls(**options)
        start = 0.5 * np.sum(a * c**2)
        for _ in range(steps):
            g[...] = a * (x - c)
            opt.step([Param("0.W", x, g, False)])
        end = 0.5 * np.sum(a * (x - c) ** 2)
        expect(end < 0.1 * start, f"{steps} steps took f from {start:.3g} only to {end:.3g}")
        return f"f {start:.3g} -> {end:.3g}"

    for name, fn in [
        ("name and options", naming),
        ("in-place update, dtype", in_place),
        ("weight decay on weights only", weight_decay),
        ("descends a quadratic", descent),
    ]:
        report.run(name, fn)
    return report


def assert_optimizer_conforms(
    cls: type[Optimizer], options: dict[str, Any] | None = None, **kw: Any
) -> Report:
    """Raise ``AssertionError`` naming every failed optimizer check."""
    return optimizer_report(cls, options, **kw).raise_for_failures()


__all__ = [
    "assert_layer_conforms",
    "assert_loss_conforms",
    "assert_optimizer_conforms",
    "layer_report",
    "loss_report",
    "optimizer_report",
]
