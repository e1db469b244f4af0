"""What the numba backend checks before it trusts compiled kernels, once per set of kernels
(a marker beside the cached driver remembers that the checks passed):

* **before compiling the driver**, for every kernel of a plugin (built-ins are checked by
  nnplug's own tests): its signature against the contract, then the kernel called alone on
  a small batch -- a bounds-checked build first, so an out-of-bounds write is an error and
  not a crash -- and compared with the component's NumPy code in the model's dtype,
  training and eval mode (:mod:`nnplug.runtime.kernel_calls`). A typing error is reported
  here with numba's reason and the plugin's file and line, attributed to its component;
* **after compiling it**, one training step of a copy of the model compiled and the same
  step per op on the NumPy reference, compared; a mismatch names the component whose
  kernels disagree with its NumPy code.

Compile failures raise :class:`~nnplug.kernels.NotCompiled` (the run trains per op, or
stops under ``--require-compiled``); a kernel that raises or computes something else
raises :class:`~nnplug.errors.PluginRuntimeError` naming the component.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from nnplug.backend import reference_backend
from nnplug.base import example_options
from nnplug.errors import PluginRuntimeError
from nnplug.kernels import NotCompiled
from nnplug.registry.blame import describe_component
from nnplug.runtime.kernel_calls import (
    check_signature,
    compare,
    compare_elementwise,
    compare_layer,
    compare_loss,
    compare_optimizer,
)
from nnplug.safeio.text import describe_exception, one_line

BUILT_IN = "nnplug_core."
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WHERE = re.compile(r'File "([^"]+)", line (\d+)')


def numba_reason(exc: BaseException, files: tuple[str, ...] = ()) -> str:
    """A numba compile error as one line: its reason and the file and line it points at
    (the plugin's own, when one of ``files`` appears)."""
    text = _ANSI.sub("", str(exc))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    skip = ("Failed in nopython mode pipeline", "During:", "File ", "^", "- Resolution")
    reason = next((line for line in lines if not line.startswith(skip)), type(exc).__name__)
    places = _WHERE.findall(text)
    mine = [p for p in places if any(os.path.samefile(p[0], f) for f in files if _exists(p[0]))]
    where = (mine or places)[-1] if (mine or places) else None
    at = f" ({where[0]}, line {where[1]})" if where else ""
    return one_line(f"{type(exc).__name__}: {reason}{at}", 400)


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _numba_error() -> type[BaseException]:
    from numba.core.errors import NumbaError

    return NumbaError


def _check_one(
    obj: Any, kind: str, modules: tuple[Any, Any], dtype: Any, files: tuple[str, ...]
) -> None:
    """One component's kernels: the bounds-checked build, then the compiled one."""
    cls = type(obj)
    options = obj.options() if hasattr(obj, "options") else example_options(cls)
    what = describe_component(obj)
    cases: list[dict[str, Any]] = []
    if kind == "layer":
        cases = [{"training": True}, {"training": False}]
    for module, label in ((modules[0], "bounds-checked"), (modules[1], "compiled")):
        for case in cases or [{}]:
            try:
                if kind == "layer":
                    found = compare_layer(cls, options, module, dtype=dtype, **case)
                elif kind == "loss":
                    found = compare_loss(cls, options, module, dtype=dtype)
                else:
                    found = compare_optimizer(cls, {"lr": 0.05, **options}, module, dtype=dtype)
            except _numba_error() as exc:
                raise NotCompiled(
                    f"{what}: its kernels failed to compile: {numba_reason(exc, files)}"
                ) from None
            except IndexError as exc:
                if label != "bounds-checked":
                    raise
                raise PluginRuntimeError(
                    f"{what}: its kernels access an array out of bounds (numba's bounds-"
                    f"checked build): {one_line(exc)}",
                    None,
                ) from exc
            except Exception as exc:
                raise PluginRuntimeError(
                    f"{what}: its compiled kernel failed: {describe_exception(exc)}", None
                ) from exc
            if found:
                mode = "" if not case else (" (train)" if case["training"] else " (eval)")
                raise PluginRuntimeError(
                    f"{what}: its compiled kernels disagree with its NumPy code{mode}: "
                    + "; ".join(map(str, found[:3])),
                    None,
                )


def check_plugin_kernels(components: list[tuple[str, Any]], backend: Any, dtype: Any) -> None:
    """Signature and behaviour of every plugin component's kernels (see the module)."""
    for kind, obj in components:
        kernels = type(obj).kernels
        elementwise = getattr(type(obj), "elementwise", None)
        if elementwise is not None and not elementwise.module.startswith(BUILT_IN):
            _check_elementwise(obj, backend, dtype)
        if kernels is None or kernels.module.startswith(BUILT_IN):
            continue
        what = describe_component(obj)
        try:
            compiled = backend.kernel_module(kernels)
        except Exception as exc:  # noqa: BLE001 - an unimportable kernel module
            raise NotCompiled(
                f"{what}: its kernel module failed to import: {describe_exception(exc)}"
            ) from None
        functions = {
            "layer": (("forward", "layer.forward"), ("backward", "layer.backward")),
            "loss": (("forward", "loss.forward"),),
            "optimizer": (("update", "optimizer.update"),),
        }[kind]
        for attr, contract in functions:
            fn = getattr(compiled, getattr(kernels, attr), None)
            if fn is None:
                raise NotCompiled(
                    f"{what}: {kernels.module} has no function {getattr(kernels, attr)}"
                )
            try:
                check_signature(fn, contract, what)
            except Exception as exc:  # noqa: BLE001 - NNPlugError, as a compile failure
                raise NotCompiled(str(exc)) from None
        source = getattr(compiled, "__file__", None)
        files = (source,) if source else ()
        checked = backend.kernel_module(kernels, boundscheck=True)
        _check_one(obj, kind, (checked, compiled), dtype, files)


def _check_elementwise(obj: Any, backend: Any, dtype: Any) -> None:
    """A plugin activation's fused scalar functions against its forward/backward."""
    what = describe_component(obj)
    try:
        module = backend.kernel_module(type(obj).elementwise)
        found = compare_elementwise(type(obj), obj.options(), module, dtype=dtype)
    except _numba_error() as exc:
        raise NotCompiled(
            f"{what}: its elementwise kernels failed to compile: {numba_reason(exc)}"
        ) from None
    except Exception as exc:
        raise PluginRuntimeError(
            f"{what}: its elementwise kernels failed: {describe_exception(exc)}", None
        ) from exc
    if found:
        raise PluginRuntimeError(
            f"{what}: its elementwise kernels disagree with its NumPy code: "
            + "; ".join(map(str, found)),
            None,
        )


def _clone(layer: Any) -> Any:
    copy = type(layer)(**layer.options())
    copy.spec_name = layer.spec_name
    return copy


def check_step(runner_class: type, model: Any, loss: Any, optimizer: Any) -> None:
    """One training step of copies of ``model`` (same components, fresh weights): compiled
    through ``runner_class`` and per op on the reference backend, compared."""
    rng = np.random.default_rng(0)
    rows, dtype = 6, np.dtype(model.dtype)
    X = rng.standard_normal((rows, model.in_features)).astype(dtype)
    if loss.task == "classification":
        y: np.ndarray = rng.integers(0, model.out_features, rows).astype(np.int64)
    else:
        y = rng.standard_normal((rows, model.out_features)).astype(dtype)
    results = []
    for compiled in (True, False):
        net = type(model)([_clone(layer) for layer in model.layers], fuse=model.fuse)
        net.build(model.in_features, rng=0, dtype=dtype)
        net.input_grad = False
        step_loss = type(loss)(**loss.options())
        opt = type(optimizer)(**{**optimizer.options(), "lr": 0.05})
        if compiled:
            runner = runner_class(net, step_loss, opt)
            runner.prepare(check=False)
            value = (
                runner.train_steps(X, y, np.arange(rows), 0, 1, rows, np.full(1, 0.05), 1.0)[0]
                / rows
            )
        else:
            net.to(reference_backend())
            step_loss.ops = opt.ops = net.backend
            net.train()
            value = step_loss.forward(net.forward(X), y)
            net.backward(step_loss.backward())
            opt.step(net.parameters())
        results.append((value, net, opt))
    (v_c, net_c, _), (v_p, net_p, _) = results
    # the gradients of the step, not the parameters after it: an adaptive optimizer (Adam)
    # turns the round-off of a gradient that is zero in theory (a bias before BatchNorm)
    # into a full step of either sign; the optimizer kernels are checked on their own
    pairs = list(zip(net_c.layers, net_p.layers, strict=True))
    scale = max(
        [float(np.max(np.abs(g))) for layer in net_p.layers for g in layer.grads.values()] + [0.0]
    )
    for layer_c, layer_p in reversed(pairs):  # backward order: the first to go wrong
        for key in layer_p.grads:
            d = compare(layer_c.grads[key], layer_p.grads[key], f"gradient {key}", dtype, scale)
            if d is not None:
                raise PluginRuntimeError(
                    f"{describe_component(layer_p)}: one compiled training step disagrees with "
                    f"the same step per op: {d}",
                    None,
                )
    found = compare(v_c, v_p, "loss", dtype)
    if found is not None:
        raise PluginRuntimeError(
            f"{describe_component(loss)}: the compiled training step's loss disagrees with "
            f"the per-op step: {found}",
            None,
        )


__all__ = ["check_plugin_kernels", "check_step", "numba_reason"]
