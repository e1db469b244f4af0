"""Conformance checks for plugin authors, e.g. ``assert_layer_conforms(MyLayer, {"a": 1})``
in a pytest test. Every check runs even when an earlier one fails; ``assert_*`` raise one
``AssertionError`` listing each failed check with a one-line reason (``*_report`` return
the :class:`Report`). Gradients: float64 central differences, relative error < 1e-6."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from nnplug.base import Component, Layer, Loss, Optimizer, Param, example_options
from nnplug.testing.gradcheck import TOLERANCE, check_loss
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
    "assert_loss_conforms",
    "assert_optimizer_conforms",
    "loss_report",
    "optimizer_report",
]
