"""The compiled training driver: one ``@njit`` function that runs many training steps
(gather, forward, loss, backward, updates) -- or an evaluation -- over any sequence of
layers, dispatching on each layer's kernel *group* at run time.

The driver's source is generated from the groups it must know -- a group is one
``(kernel module, functions, array layout)``; relu/sigmoid/tanh share one -- and cached
on disk like any module (numba's ``cache=True``), so it compiles once per set of groups,
not once per ``--layers`` string. Every built-in group is always in the set: any model of
built-ins runs on the one base driver. A model using a plugin's kernels gets a driver
with that plugin's groups added (compiled once per such set). Everything written into the
source is either generated here or a module/function name validated by
:mod:`nnplug.kernels` (dotted identifiers) -- nothing else from a plugin reaches it.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from types import ModuleType

from nnplug.kernels import IDENTIFIER, MODULE_NAME

#: columns of a program row (one per model step): kernel group, activation code, widths,
#: offsets of the step's input/output in the activation arenas, then 3 ints per array
#: slot (offset, d0, d1 -- d0 == -1: batch rows), params then state then work
CODE, ACT, IN_W, OUT_W, A_IN, A_OUT, SEG0, NSEG, SLOTS = range(9)


@dataclass(frozen=True)
class LayerGroup:
    module: str
    forward: str
    backward: str
    params: tuple[int, ...]  # ndim of each slot
    state: tuple[int, ...]
    work: tuple[int, ...]
    #: a plugin activation fused into this layer's step (its ActivationKernels): module,
    #: value, derivative; its input z is kept in one more 2-d work slot
    act: tuple[str, str, str] = ("", "", "")


@dataclass(frozen=True)
class LossGroup:
    module: str
    forward: str
    classification: bool


@dataclass(frozen=True)
class OptimizerGroup:
    module: str
    update: str
    slots: int


def _check(module: str, *names: str) -> None:
    if not MODULE_NAME.match(module) or not all(IDENTIFIER.match(n) for n in names):
        raise ValueError(f"refusing to generate code for {module!r} {names!r}")


def _slots(ndims: tuple[int, ...], arena: str, first: int, extra: str = "") -> str:
    items = []
    for k, nd in enumerate(ndims):
        c = SLOTS + 3 * (first + k)
        if nd == 1:
            items.append(f"slot1({arena}, r[{c}], r[{c + 1}], nb)")
        else:
            items.append(f"slot2({arena}, r[{c}], r[{c + 1}], r[{c + 2}], nb)")
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _layer_branches(groups: list[LayerGroup]) -> tuple[list[str], list[str]]:
    fwd, bwd = [], []
    for code, g in enumerate(groups):
        _check(g.module, g.forward, g.backward)
        p, s = len(g.params), len(g.state)
        P = _slots(g.params, "theta", 0)
        G = _slots(g.params, "grad", 0)
        S = _slots(g.state, "bufs", p)
        W = _slots(g.work, "work", p + s)
        kw = "if" if code == 0 else "elif"
        if not g.act[0]:
            fwd.append(
                f"            {kw} c == {code}:\n"
                f"                L{code}.{g.forward}(x, y, {P}, {S}, {W}, fsc[l], r[ACT], "
                f"training, step)"
            )
            bwd.append(
                f"                {kw} c == {code}:\n"
                f"                    L{code}.{g.backward}(x, y, dy, dx, {P}, {G}, {S}, "
                f"{W}, fsc[l], r[ACT], True, l > 0, step)"
            )
            continue
        _check(*g.act)
        Z = _slots((2,), "work", p + s + len(g.work))[1:-2]  # the fused activation's input
        value, derivative = g.act[1], g.act[2]
        fwd.append(
            f"            {kw} c == {code}:\n"
            f"                zs = {Z}\n"
            f"                L{code}.{g.forward}(x, zs, {P}, {S}, {W}, fsc[l], 0, "
            f"training, step)\n"
            f"                for i in range(nb):\n"
            f"                    for j in range(r[OUT_W]):\n"
            f"                        y[i, j] = A{code}.{value}(zs[i, j], asc[l])"
        )
        bwd.append(
            f"                {kw} c == {code}:\n"
            f"                    zs = {Z}\n"
            f"                    for i in range(nb):\n"
            f"                        for j in range(r[OUT_W]):\n"
            f"                            dy[i, j] = dy[i, j] * A{code}.{derivative}("
            f"zs[i, j], y[i, j], asc[l])\n"
            f"                    L{code}.{g.backward}(x, zs, dy, dx, {P}, {G}, {S}, "
            f"{W}, fsc[l], 0, True, l > 0, step)"
        )
    return fwd, bwd


def source(
    layers: list[LayerGroup], losses: list[LossGroup], optimizers: list[OptimizerGroup]
) -> str:
    """The driver module's source for these groups."""
    imports = [f"import {g.module} as L{i}" for i, g in enumerate(layers)]
    imports += [f"import {g.act[0]} as A{i}" for i, g in enumerate(layers) if g.act[0]]
    imports += [f"import {g.module} as C{i}" for i, g in enumerate(losses)]
    imports += [f"import {g.module} as U{i}" for i, g in enumerate(optimizers)]
    fwd, bwd = _layer_branches(layers)
    loss_lines = []
    for i, g in enumerate(losses):
        _check(g.module, g.forward)
        target = "lb" if g.classification else "vb"
        kw = "if" if i == 0 else "elif"
        loss_lines.append(
            f"        {kw} lcode == {i}:\n            lv = C{i}.{g.forward}(z, {target}, dz, lsc)"
        )
    opt_lines = []
    for i, u in enumerate(optimizers):
        _check(u.module, u.update)
        slots = ", ".join(f"view1(ostate, {k} * T + o, size)" for k in range(u.slots))
        slots = f"({slots}{',' if u.slots == 1 else ''})"
        kw = "if" if i == 0 else "elif"
        opt_lines.append(
            f"                    {kw} ocode == {i}:\n"
            f"                        U{i}.{u.update}(view1(theta, o, size), "
            f"view1(grad, o, size), {slots}, osc, lrs[done], decay, t)"
        )
    return _TEMPLATE.format(
        imports="\n".join(imports),
        forward="\n".join(fwd),
        backward="\n".join(bwd),
        loss="\n".join(loss_lines) or "        pass",
        update="\n".join(opt_lines) or "                    pass",
        constants=f"CODE, ACT, IN_W, OUT_W, A_IN, A_OUT, SEG0, NSEG = {tuple(range(8))}",
    )


def load(text: str, directory: str | None, tag: str) -> ModuleType:
    """Write ``text`` as ``driver_<hash>.py`` in ``directory`` (once; atomically) and
    import it; ``tag`` (the kernel sources' digest) is part of the hash."""
    digest = hashlib.sha256((tag + text).encode()).hexdigest()[:16]
    name = f"nnplug_driver_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    if directory is None:  # no writable cache: a temporary file, removed at exit
        directory = tempfile.mkdtemp(prefix="nnplug-driver-")
        atexit.register(shutil.rmtree, directory, True)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}.py")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


_TEMPLATE = '''"""Generated by nnplug_numba.codegen -- the compiled training driver. Do not edit."""
import numpy as np

from nnplug_numba.driver_parts import (correct, gather, gather_labels, gather_values,
                                       slot1, slot2, squared_error)
from nnplug_numba.views import as_float32_rows, as_float64_rows, view1, view2
{imports}
from numba import njit

{constants}


@njit(cache=True, nogil=True, error_model="numpy")
def run(mode, X, xcode, order, start, stop, batch, scale, Yi, Yf, mw, lrs, prog, fsc,
        theta, grad, bufs, work, acts, dacts, lcode, lsc, ocode, osc, oseg, ostate, wd, out,
        step0, t0, where, asc):
    """mode 0: training steps ``start..stop-1`` of the epoch ordered by ``order``;
    1: eval outputs of every row into ``out``; 2: eval loss and metric over every row.
    Returns (loss sum, metric sum, samples, steps done, bad step or -1, bad loss).
    ``where`` records the kernel being called -- (layer index or -1 for the loss, phase 0
    forward, 1 backward, 2 loss, 3 update) -- so an exception a kernel raises can be
    blamed on its component. ``asc``: the scalars of an activation fused into a step."""
    training = mode == 0
    n_layers = prog.shape[0]
    n_rows = order.size if training else X.shape[0]
    T = theta.size
    X32 = as_float32_rows(X)
    X64 = as_float64_rows(X)
    last = prog[n_layers - 1]
    k = last[OUT_W]
    labels = np.empty(batch, np.int64)
    values = np.empty(batch * Yf.shape[1], theta.dtype)
    loss_sum = 0.0
    metric_sum = 0.0
    seen = 0
    done = 0
    for s in range(start, stop):
        lo = s * batch
        nb = min(lo + batch, n_rows) - lo
        if nb <= 0 or (training and nb < 2 and s > 0):
            continue  # a lone trailing sample cannot be batch-normalised
        step = step0 + done
        r = prog[0]
        gather(X, X32, X64, xcode, order, lo, view2(acts, r[A_IN], nb, r[IN_W]), scale)
        for l in range(n_layers):
            r = prog[l]
            c = r[CODE]
            x = view2(acts, r[A_IN], nb, r[IN_W])
            y = view2(acts, r[A_OUT], nb, r[OUT_W])
            where[0] = l
            where[1] = 0
{forward}
        z = view2(acts, last[A_OUT], nb, k)
        if mode == 1:
            for i in range(nb):
                for j in range(k):
                    out[lo + i, j] = z[i, j]
            continue
        dz = view2(dacts, last[A_OUT], nb, k)
        lb = view1(labels, 0, nb)
        vb = view2(values, 0, nb, Yf.shape[1])
        if Yi.size:
            gather_labels(Yi, order, lo, lb)
        else:
            gather_values(Yf, order, lo, vb)
        lv = np.nan
        where[0] = -1
        where[1] = 2
{loss}
        if not np.isfinite(lv):
            return loss_sum, metric_sum, seen, done, s, lv
        loss_sum += lv * nb
        metric_sum += correct(z, lb) if Yi.size else squared_error(z, vb, mw)
        seen += nb
        if training:
            t = t0 + done + 1
            for l in range(n_layers - 1, -1, -1):
                r = prog[l]
                c = r[CODE]
                x = view2(acts, r[A_IN], nb, r[IN_W])
                y = view2(acts, r[A_OUT], nb, r[OUT_W])
                dy = view2(dacts, r[A_OUT], nb, r[OUT_W])
                dx = view2(dacts, r[A_IN], nb, r[IN_W])
                where[0] = l
                where[1] = 1
{backward}
                where[1] = 3
                for q in range(r[SEG0], r[SEG0] + r[NSEG]):
                    o = oseg[q, 0]
                    size = oseg[q, 1]
                    decay = wd if oseg[q, 2] else 0.0
{update}
        done += 1
    return loss_sum, metric_sum, seen, done, -1, 0.0
'''
