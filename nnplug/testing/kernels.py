"""Conformance of compiled kernels with their component's NumPy code, for plugin authors:
``assert_layer_kernels_conform(MyLayer, {"alpha": 0.1})`` (and ``_loss_``, ``_optimizer_``)
in a pytest test. The kernels declared in ``cls.kernels`` are called directly, with the
arguments the compiled driver passes (:mod:`nnplug.kernels`), and compared with the
component's own ``forward``/``backward``/``update`` on the NumPy reference backend:
float64 to rtol 1e-10, float32 to rtol 1e-4 / atol 1e-5 x scale (rounding differs where
sums run in another order). Needs numba; without it the report says so and fails.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

import numpy as np

from nnplug.backend import Backend
from nnplug.base import Layer, Loss, Optimizer, Param, example_options
from nnplug.kernels import LayerKernels
from nnplug.runtime.backends import compiling_backend
from nnplug.testing.report import Report, expect

_DTYPES = (np.float64, np.float32)
_STEP = 5  # a training-step index (dropout masks depend on it)


def _close(got: np.ndarray, want: np.ndarray, dtype: Any, what: str) -> None:
    scale = float(np.max(np.abs(want))) if np.size(want) else 1.0
    rtol, atol = (
        (1e-10, 1e-12 * max(scale, 1e-300))
        if dtype == np.float64
        else (1e-4, 1e-5 * max(scale, 1e-30))
    )
    ok = np.allclose(got, want, rtol=rtol, atol=atol)
    err = float(np.max(np.abs(np.asarray(got, np.float64) - want))) if np.size(want) else 0.0
    expect(ok, f"{what} differs from the NumPy code by up to {err:.3g} ({np.dtype(dtype)})")


def _module(cls: type[Layer] | type[Loss] | type[Optimizer], report: Report) -> Any:
    kernels = cls.kernels
    if kernels is None:
        report.run("declares kernels", lambda: expect(False, f"{cls.__name__}.kernels is None"))
        return None
    try:
        return compiling_backend().kernel_module(kernels)
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        reason = f"{type(exc).__name__}: {exc}"
        report.run("kernels import", lambda: expect(False, reason))
        return None


def _array(store: dict, name: str, like_dtype: Any, ndim: int = 1) -> np.ndarray:
    a = store.get(name)
    return np.zeros((0,) * ndim, like_dtype) if a is None else a


def layer_kernel_report(
    cls: type[Layer],
    options: dict[str, Any] | None = None,
    *,
    in_features: int = 6,
    batch: int = 7,
    seed: int = 0,
) -> Report:
    """Compare the layer's kernels with its ``forward``/``backward`` (training and eval)."""
    options = example_options(cls) if options is None else dict(options)
    report = Report(f"{getattr(cls, 'name', cls.__name__)} kernels")
    module = _module(cls, report)
    if module is None:
        return report
    k = cls.kernels
    assert k is not None  # else _module() returned None
    for dtype in _DTYPES:
        for training in (True, False):
            report.run(
                f"{'train' if training else 'eval'} {np.dtype(dtype)}",
                functools.partial(
                    _check_layer, cls, options, module, k, dtype, training, in_features, batch, seed
                ),
            )
    return report


def _check_layer(
    cls: type[Layer],
    options: dict[str, Any],
    module: ModuleType,
    k: LayerKernels,
    dtype: Any,
    training: bool,
    in_features: int,
    batch: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, in_features)).astype(dtype)

    def make():
        layer = cls(**options)
        layer.build(in_features, rng=np.random.default_rng(seed), dtype=dtype, init="he")
        layer.ops = Backend()
        layer.train(training)
        layer.step = _STEP
        return layer

    ref, ker = make(), make()
    y_ref = np.array(ref.forward(x.copy()), copy=True)
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    dx_ref = np.array(ref.backward(dy.copy()), copy=True) if training else None
    params = tuple(
        _array(ker.params, n, dtype, np.ndim(ref.params.get(n, 0)) or 1) for n in k.params
    )
    grads = tuple(np.zeros_like(p) for p in params)
    state = tuple(_array(ker.buffers, n, dtype) for n in k.state)
    shapes = ker.kernel_work()
    work = tuple(np.zeros(tuple(batch if d < 0 else d for d in shapes[n]), dtype) for n in k.work)
    scalars = np.array([float(v) for v in ker.kernel_scalars()] or [0.0])
    y = np.zeros_like(y_ref)
    getattr(module, k.forward)(x.copy(), y, params, state, work, scalars, 0, training, _STEP)
    _close(y, y_ref, dtype, "forward output")
    for n, a in zip(k.state, state, strict=True):
        _close(a, ref.buffers[n], dtype, f"state '{n}' after forward")
    if not training:
        return  # the compiled path differentiates training steps only
    dx = np.zeros_like(x)
    getattr(module, k.backward)(
        x, y, dy.copy(), dx, params, grads, state, work, scalars, 0, training, True, _STEP
    )
    assert dx_ref is not None  # computed for training
    _close(dx, dx_ref, dtype, "input gradient")
    for n, g in zip(k.params, grads, strict=True):
        if n in ref.grads:
            _close(g, ref.grads[n], dtype, f"gradient of '{n}'")


def loss_kernel_report(
    cls: type[Loss],
    options: dict[str, Any] | None = None,
    *,
    batch: int = 9,
    outputs: int = 4,
    seed: int = 0,
) -> Report:
    """Compare the loss kernel's value and gradient with ``forward``/``backward``."""
    options = example_options(cls) if options is None else dict(options)
    report = Report(f"{getattr(cls, 'name', cls.__name__)} kernel")
    module = _module(cls, report)
    if module is None:
        return report
    kernels = cls.kernels
    assert kernels is not None  # else _module() returned None

    def check(dtype: Any) -> None:
        rng = np.random.default_rng(seed)
        out = (rng.standard_normal((batch, outputs)) * 2).astype(dtype)
        if cls.task == "classification":
            target: np.ndarray = rng.integers(0, outputs, batch).astype(np.int64)
        else:
            target = rng.standard_normal((batch, outputs)).astype(dtype)
        loss = cls(**options)
        loss.ops = Backend()
        want = loss.forward(out.copy(), target)
        want_grad = np.array(loss.backward(), copy=True)
        grad = np.zeros_like(out)
        scalars = np.array([float(v) for v in loss.kernel_scalars()] or [0.0])
        got = getattr(module, kernels.forward)(out, target, grad, scalars)
        _close(np.float64(got), np.float64(want), dtype, "loss")
        _close(grad, want_grad.reshape(grad.shape), dtype, "gradient")

    for dtype in _DTYPES:
        report.run(f"loss and gradient {np.dtype(dtype)}", functools.partial(check, dtype))
    return report


def optimizer_kernel_report(
    cls: type[Optimizer], options: dict[str, Any] | None = None, *, steps: int = 3, seed: int = 0
) -> Report:
    """Compare ``steps`` kernel updates (with and without weight decay) with ``update``."""
    options = {"lr": 0.05, **example_options(cls), **(options or {})}
    report = Report(f"{getattr(cls, 'name', cls.__name__)} kernel")
    module = _module(cls, report)
    if module is None:
        return report
    kernels = cls.kernels
    assert kernels is not None  # else _module() returned None

    def check(dtype: Any, wd: float) -> None:
        rng = np.random.default_rng(seed)
        p0 = rng.standard_normal(17).astype(dtype)
        opt = cls(**{**options, "weight_decay": wd})
        opt.ops = Backend()
        ref = Param("0.W", p0.copy(), np.zeros_like(p0), True)
        mine = p0.copy()
        slots = tuple(np.zeros_like(p0) for _ in kernels.slots)
        scalars = np.array([float(v) for v in opt.kernel_scalars()] or [0.0])
        for t in range(1, steps + 1):
            g = rng.standard_normal(17).astype(dtype)
            ref.grad[...] = g
            opt.step([ref])
            getattr(module, kernels.update)(mine, g, slots, scalars, opt.lr, wd, t)
        _close(mine, ref.value, dtype, f"parameters after {steps} updates (wd {wd})")
        for name, a in zip(kernels.slots, slots, strict=True):
            _close(a, opt.state[ref.key][name], dtype, f"state '{name}'")

    for dtype in _DTYPES:
        for wd in (0.0, 0.01):
            report.run(f"updates {np.dtype(dtype)} wd={wd}", functools.partial(check, dtype, wd))
    return report


def assert_layer_kernels_conform(
    cls: type[Layer], options: dict[str, Any] | None = None, **kw: Any
) -> Report:
    return layer_kernel_report(cls, options, **kw).raise_for_failures()


def assert_loss_kernel_conforms(
    cls: type[Loss], options: dict[str, Any] | None = None, **kw: Any
) -> Report:
    return loss_kernel_report(cls, options, **kw).raise_for_failures()


def assert_optimizer_kernel_conforms(
    cls: type[Optimizer], options: dict[str, Any] | None = None, **kw: Any
) -> Report:
    return optimizer_kernel_report(cls, options, **kw).raise_for_failures()


__all__ = [
    "assert_layer_kernels_conform",
    "assert_loss_kernel_conforms",
    "assert_optimizer_kernel_conforms",
    "layer_kernel_report",
    "loss_kernel_report",
    "optimizer_kernel_report",
]
