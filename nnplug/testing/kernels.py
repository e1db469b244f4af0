"""Conformance of compiled kernels with their component's NumPy code, for plugin authors:
``assert_layer_kernels_conform(MyLayer, {"alpha": 0.1})`` (and ``_loss_``, ``_optimizer_``)
in a pytest test, also importable as :mod:`nnplug.kernel_testing`.

The kernels a class declares are called one at a time with the arguments the compiled
driver passes (:mod:`nnplug.kernels`), on a compiling backend, and compared with the
component's own ``forward``/``backward``/``update`` on the NumPy reference backend
(:mod:`nnplug.runtime.kernel_calls`): float64 to rtol 1e-9, float32 to rtol 1e-4 / atol
1e-5 x scale. Every case runs a bounds-checked build first (an out-of-bounds access fails
the check instead of corrupting memory), poisons every output with NaN (a kernel must fill
``y``, ``dx`` and ``grads`` and overwrite, never accumulate), uses random parameters and
buffers, and covers training and eval mode, both dtypes and, for a layer that fuses a
following activation, every activation code. A failed check lists every array that differs
with its absolute and relative error. Needs a compiling backend (numba); without one the
report says so and fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from nnplug.base import Layer, Loss, Optimizer, example_options
from nnplug.kernels import ACTIVATION_CODES
from nnplug.runtime.backends import compiling_backend
from nnplug.runtime.kernel_calls import (
    check_signature,
    compare_elementwise,
    compare_layer,
    compare_loss,
    compare_optimizer,
)
from nnplug.testing.report import Report, expect

_DTYPES = (np.float64, np.float32)
_FUNCTIONS = {
    "layer": (("forward", "layer.forward"), ("backward", "layer.backward")),
    "loss": (("forward", "loss.forward"),),
    "optimizer": (("update", "optimizer.update"),),
}


def _modules(cls: Any, kind: str, report: Report) -> tuple[Any, Any] | None:
    """The kernels of ``cls``, bounds-checked and as compiled; None (with a failed check
    that says why) when there are none or they cannot be loaded."""
    kernels = cls.kernels
    if kernels is None:
        report.run("declares kernels", lambda: expect(False, f"{cls.__name__}.kernels is None"))
        return None
    try:
        backend = compiling_backend()
        compiled = backend.kernel_module(kernels)
        for attr, contract in _FUNCTIONS[kind]:
            check_signature(getattr(compiled, getattr(kernels, attr)), contract, cls.__name__)
        return backend.kernel_module(kernels, boundscheck=True), compiled
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        reason = f"{type(exc).__name__}: {exc}"
        report.run("kernels load", lambda: expect(False, reason))
        return None


def _both(compare: Callable[..., list[Any]], modules: tuple[Any, Any], **kw: Any) -> str:
    """Run ``compare`` on the bounds-checked build, then on the compiled kernels; fail with
    every difference found."""
    checked, compiled = modules
    try:
        compare(module=checked, **kw)
    except IndexError as exc:
        raise AssertionError(f"out-of-bounds access (bounds-checked build): {exc}") from None
    found = compare(module=compiled, **kw)
    expect(not found, "; ".join(map(str, found)))
    return ""


def _case_name(dtype: Any, training: bool, act: str | None) -> str:
    mode = "train" if training else "eval"
    return f"{mode} {np.dtype(dtype)}" + (f" act={act}" if act else "")


def layer_kernel_report(
    cls: type[Layer],
    options: dict[str, Any] | None = None,
    *,
    in_features: int = 6,
    batch: int = 7,
    seed: int = 0,
) -> Report:
    """Compare the layer's kernels with its ``forward``/``backward`` (training and eval,
    float64 and float32, each activation it fuses)."""
    options = example_options(cls) if options is None else dict(options)
    report = Report(f"{getattr(cls, 'name', cls.__name__)} kernels")
    if cls.elementwise is not None:
        _elementwise_checks(cls, options, report, seed)
        if cls.kernels is None:  # an activation that only fuses: nothing more to call
            return report
    modules = _modules(cls, "layer", report)
    if modules is None:
        return report
    acts: list[str | None] = [None]
    if cls.fuses_activation:
        acts += [a for a in ACTIVATION_CODES if a is not None]
    for dtype in _DTYPES:
        for training in (True, False):
            for act in acts:
                report.run(
                    _case_name(dtype, training, act),
                    functools.partial(
                        _both,
                        compare_layer,
                        modules,
                        cls=cls,
                        options=options,
                        dtype=dtype,
                        training=training,
                        act=act,
                        in_features=in_features,
                        batch=batch,
                        seed=seed,
                    ),
                )
    return report


def _elementwise_checks(
    cls: type[Layer], options: dict[str, Any], report: Report, seed: int
) -> None:
    """The activation's ``elementwise`` value and derivative against forward/backward."""
    decl = cls.elementwise
    assert decl is not None
    try:
        module = compiling_backend().kernel_module(decl)
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        reason = f"{type(exc).__name__}: {exc}"
        report.run("elementwise kernels load", lambda: expect(False, reason))
        return

    def check(dtype: Any) -> None:
        found = compare_elementwise(cls, options, module, dtype=dtype, seed=seed)
        expect(not found, "; ".join(map(str, found)))

    for dtype in _DTYPES:
        report.run(f"elementwise {np.dtype(dtype)}", functools.partial(check, dtype))


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
    modules = _modules(cls, "loss", report)
    if modules is None:
        return report
    for dtype in _DTYPES:
        report.run(
            f"loss and gradient {np.dtype(dtype)}",
            functools.partial(
                _both,
                compare_loss,
                modules,
                cls=cls,
                options=options,
                dtype=dtype,
                batch=batch,
                outputs=outputs,
                seed=seed,
            ),
        )
    return report


def optimizer_kernel_report(
    cls: type[Optimizer], options: dict[str, Any] | None = None, *, steps: int = 3, seed: int = 0
) -> Report:
    """Compare ``steps`` kernel updates from random state (decayed parameters and not,
    with and without weight decay) with ``update``."""
    options = {"lr": 0.05, **example_options(cls), **(options or {})}
    report = Report(f"{getattr(cls, 'name', cls.__name__)} kernel")
    modules = _modules(cls, "optimizer", report)
    if modules is None:
        return report
    for dtype in _DTYPES:
        for wd in (0.0, 0.01):
            report.run(
                f"updates {np.dtype(dtype)} wd={wd}",
                functools.partial(
                    _both,
                    compare_optimizer,
                    modules,
                    cls=cls,
                    options=options,
                    dtype=dtype,
                    weight_decay=wd,
                    steps=steps,
                    seed=seed,
                ),
            )
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
