"""Which kernel groups a model needs, and whether it can take the compiled path at all.

A group's array layout (the ndim of every declared slot) comes from a small example of
the component class (``nnplug.base.example_options``), so the layout of a class is
fixed and one driver branch serves every instance; an instance whose arrays do not match
its class's layout is refused with a one-line reason (it then trains per op).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from nnplug.kernels import NotCompiled
from nnplug.registry.blame import describe_component
from nnplug_numba.codegen import LayerGroup, LossGroup, OptimizerGroup

if TYPE_CHECKING:
    from nnplug.base import Layer, Loss, Optimizer


def compiled_steps(model: Any) -> list[tuple[Any, str | None, Any]]:
    """``(layer, built-in activation fused or None, plugin activation layer fused or
    None)`` per step of the compiled path: the model's own steps (built-in activations
    fused), then a layer that fuses activations followed by a layer declaring
    ``elementwise`` kernels absorbs it too."""
    steps = model.steps()
    out: list[tuple[Any, str | None, Any]] = []
    i = 0
    while i < len(steps):
        layer, act = steps[i]
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        if (
            model.fuse
            and act is None
            and nxt is not None
            and nxt[1] is None
            and type(layer).fuses_activation
            and type(nxt[0]).elementwise is not None
        ):
            out.append((layer, None, nxt[0]))
            i += 2
        else:
            out.append((layer, act, None))
            i += 1
    return out


@functools.cache
def layer_group(cls: type[Layer], act: type[Layer] | None = None) -> LayerGroup:
    """The group of a layer class with kernels, from an example instance's arrays; with
    ``act``, that activation class fused into its step."""
    from nnplug.base import example_options

    k = cls.kernels
    try:
        assert k is not None  # callers pass classes with kernels (see missing_kernels)
        layer = cls(**example_options(cls))
        layer.build(3, rng=np.random.default_rng(0), dtype=np.float64)
        work = layer.kernel_work()
        params = tuple(np.ndim(layer.params[n]) for n in k.params)
        state = tuple(np.ndim(layer.buffers[n]) for n in k.state)
        work_nd = tuple(len(work[n]) for n in k.work)
    except Exception as exc:  # noqa: BLE001 - reported as the reason, one line
        raise NotCompiled(
            f"cannot lay out the kernels of {cls.__name__} ({type(exc).__name__}: {exc})"
        ) from None
    if any(nd not in (1, 2) for nd in (*params, *state, *work_nd)):
        raise NotCompiled(f"{cls.__name__}: kernel arrays must be 1-d or 2-d")
    fused = ("", "", "")
    if act is not None and act.elementwise is not None:
        e = act.elementwise
        fused = (e.module, e.value, e.derivative)
    return LayerGroup(k.module, k.forward, k.backward, params, state, work_nd, fused)


def loss_group(cls: type[Loss]) -> LossGroup:
    k = cls.kernels
    assert k is not None  # callers pass classes with kernels (see missing_kernels)
    return LossGroup(k.module, k.forward, cls.task == "classification")


def optimizer_group(cls: type[Optimizer]) -> OptimizerGroup:
    k = cls.kernels
    assert k is not None  # callers pass classes with kernels (see missing_kernels)
    return OptimizerGroup(k.module, k.update, len(k.slots))


def check_arrays(layer: Any, group: LayerGroup, dtype: np.dtype) -> None:
    """The instance's declared arrays fit its class's layout and the model dtype."""
    k = type(layer).kernels
    for names, ndims, store, what in (
        (k.params, group.params, layer.params, "parameter"),
        (k.state, group.state, layer.buffers, "state"),
    ):
        for name, nd in zip(names, ndims, strict=True):
            a = store.get(name)
            if a is None:
                continue  # an optional array this instance has not: passed empty
            if a.ndim != nd or a.dtype != dtype or not a.flags.c_contiguous:
                raise NotCompiled(
                    f"{describe_component(layer)}: {what} '{name}' is "
                    f"{a.dtype} {a.ndim}-d, its kernels take {dtype} {nd}-d"
                )


def missing_kernels(model: Any, loss: Any, optimizer: Any) -> None:
    """Raise :class:`NotCompiled` naming the first component without kernels (a fused
    plugin activation needs only its ``elementwise`` ones)."""
    for layer, _, _ in compiled_steps(model):
        if type(layer).kernels is None:
            raise NotCompiled(f"{describe_component(layer)} has no compiled kernels")
    for obj in (loss, optimizer):
        if obj is not None and type(obj).kernels is None:
            raise NotCompiled(f"{describe_component(obj)} has no compiled kernels")
