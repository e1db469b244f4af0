"""The compiled path's Python side: one :class:`CompiledRunner` per model (and loss and
optimizer) lays every parameter, gradient, buffer and optimizer slot out in flat arenas
(the layers' and the optimizer's arrays become views of them, so per-op code, model files
and checkpoints see the same memory), builds the program table the driver walks, and
calls the driver for many steps at a time.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any, cast

import numpy as np

from nnplug.base import Param
from nnplug.errors import NNPlugError, PluginRuntimeError
from nnplug.kernels import ACTIVATION_CODES, NotCompiled
from nnplug.registry.blame import plugin_error
from nnplug.runtime.backends import get_backend
from nnplug.safeio.text import describe_exception
from nnplug_numba import codegen, jit, plan, selfcheck
from nnplug_numba.driver_parts import X_CODES


def _table(rows: tuple[tuple[float, ...], ...]) -> np.ndarray:
    """Rows of scalars as one float64 table (shorter rows padded with 0)."""
    table = np.zeros((len(rows), max([1] + [len(v) for v in rows])))
    for i, v in enumerate(rows):
        table[i, : len(v)] = v
    return table


def _numba_error() -> type[BaseException]:
    from numba.core.errors import NumbaError

    return NumbaError


class CompiledRunner:
    """Runs ``model`` (with ``loss`` and ``optimizer`` when training) through the driver."""

    def __init__(self, model: Any, loss: Any = None, optimizer: Any = None):
        self.model, self.loss, self.optimizer = model, loss, optimizer
        plan.missing_kernels(model, loss, optimizer)
        self.dtype = np.dtype(model.dtype)
        if self.dtype not in (np.float32, np.float64):
            raise NotCompiled(f"the compiled path runs float32/float64, not {self.dtype}")
        compiled = plan.compiled_steps(model)
        self.steps = [(layer, act) for layer, act, _ in compiled]
        #: the plugin activation layer fused into each step, or None
        self.fused = [extra for _, _, extra in compiled]
        # type[Any] is not Hashable to mypy (functools.cache); a class is
        self.groups = [
            plan.layer_group(
                cast(type, type(layer)), cast(type, type(extra)) if extra is not None else None
            )
            for layer, _, extra in compiled
        ]
        for (layer, _), group in zip(self.steps, self.groups, strict=True):
            plan.check_arrays(layer, group, self.dtype)
        # the driver knows the groups this model uses (a set: any stack of the same
        # components runs on the same driver, whatever their order and number)
        self.layer_groups = sorted(set(self.groups), key=repr)
        self.loss_groups = [plan.loss_group(type(loss))] if loss is not None else []
        self.opt_groups = [plan.optimizer_group(type(optimizer))] if optimizer is not None else []
        self.driver: Any = None
        self.failed: NotCompiled | None = None
        self.compile_seconds = 0.0
        self._flat: Any = None
        self._bound: list[tuple[dict, str, np.ndarray]] = []
        self._scalar_key: Any = None
        self._scalar_arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._no_labels = np.zeros(0, np.int64)
        self._no_values = np.zeros((0, 0), self.dtype)
        self._lcode = (
            self.loss_groups.index(plan.loss_group(type(loss))) if loss is not None else -1
        )
        self._ocode = (
            self.opt_groups.index(plan.optimizer_group(type(optimizer)))
            if optimizer is not None
            else -1
        )
        self._inputs: dict[int, tuple[Any, np.ndarray, int]] = {}
        self._targets_of: dict[int, tuple[Any, tuple[np.ndarray, np.ndarray]]] = {}
        self.rows = 0
        #: what the driver was calling: (layer index or -1 for the loss, phase)
        self.where = np.full(2, -2, np.int64)

    # -- compiling ---------------------------------------------------------------------------
    def describe(self) -> str:
        names = [layer.spec_name or layer.name for layer in self.model.layers]
        text = "layers " + ",".join(n.split("/")[-1] for n in names)
        for kind, obj in (("loss", self.loss), ("optimizer", self.optimizer)):
            if obj is not None:
                text += f"; {kind} {obj.name}"
        return text

    def _modules(self) -> list[str]:
        """The kernel modules the driver imports."""
        modules = {g.module for g in self.layer_groups}
        modules |= {g.module for g in self.loss_groups} | {g.module for g in self.opt_groups}
        return sorted(modules)

    def _load_driver(self) -> Any:
        # the driver's name covers the kernel modules' sources (and the modules of their own
        # distribution they import), not the rest of a plugin: editing its onnx.py or
        # plugin.py recompiles nothing
        tag = jit.module_digest(self._modules(), (jit.CACHE_DIR or "",))
        text = codegen.source(self.layer_groups, self.loss_groups, self.opt_groups)
        directory = f"{jit.CACHE_DIR}/drivers" if jit.CACHE_DIR else None
        return codegen.load(text, directory, tag)

    def _components(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = [("layer", layer) for layer in self.model.layers]
        out += [("loss", self.loss)] if self.loss is not None else []
        return out + ([("optimizer", self.optimizer)] if self.optimizer is not None else [])

    def _marker(self, driver: Any) -> str | None:
        """The file that says this driver's kernels passed the self-check (None: no disk
        cache, check every time)."""
        if not jit.CACHE_DIR:
            return None
        return os.path.join(jit.CACHE_DIR, "drivers", f"{driver.__name__}.{self.dtype}.checked")

    def prepare(self, data: Any = None, check: bool = True) -> float:
        """Load (or compile, announcing it) the driver for this model's dtype; return the
        seconds spent compiling (0.0 on a cache hit). The first time a set of kernels is
        compiled, ``check`` runs the self-check (:mod:`nnplug_numba.selfcheck`)."""
        if self.driver is not None:
            return 0.0
        if self.failed is not None:
            raise self.failed
        t0, before = time.perf_counter(), jit.compilations()
        jit.on_compile(
            lambda: print(
                f"nnplug: compiling the numba training driver ({self.describe()}); once per "
                f"set of kernels, cached in {jit.CACHE_DIR or 'memory only'}…",
                file=sys.stderr,
                flush=True,
            )
        )
        try:
            module = self._load_driver()
            marker = self._marker(module)
            checking = check and (marker is None or not os.path.exists(marker))
            if checking:  # a plugin's kernels, alone, before they are compiled in
                selfcheck.check_plugin_kernels(self._components(), get_backend("numba"), self.dtype)
            self.driver = module.run
            X = (
                data.X_train[:2]
                if data is not None
                else np.zeros((2, self.model.in_features), self.dtype)
            )
            self.predict(X, 1.0)  # the first call compiles (or loads) the driver
            if checking and self.loss is not None and self.optimizer is not None:
                selfcheck.check_step(type(self), self.model, self.loss, self.optimizer)
            if checking and marker is not None:
                with contextlib.suppress(OSError):
                    open(marker, "w").close()
        except (NotCompiled, NNPlugError) as exc:
            self.driver = None
            if isinstance(exc, NotCompiled):
                self.failed = exc
            raise
        except Exception as exc:
            self.driver = None
            if not isinstance(exc, _numba_error()):
                raise  # a kernel that raised while running: blamed by _call
            extra = [m for m in self._modules() if not m.startswith("nnplug_core.")]
            self.failed = NotCompiled(
                f"the kernels of {', '.join(extra) or 'nnplug'} failed to compile: "
                f"{selfcheck.numba_reason(exc)}"
            )
            raise self.failed from exc
        finally:
            jit.on_compile(None)
        if jit.compilations() == before:
            return 0.0
        self.compile_seconds = time.perf_counter() - t0
        print(f"nnplug: compiled in {self.compile_seconds:.1f} s", file=sys.stderr, flush=True)
        return self.compile_seconds

    # -- arenas ---------------------------------------------------------------------------------
    def bind(self, rows: int) -> None:
        """Point the program at the model's flat arrays (:meth:`Sequential.packed`) and lay
        out the optimizer state and the scratch arenas -- again whenever an array was
        replaced (e.g. a checkpoint restored new optimizer state) or more rows are needed."""
        flat = self.model.packed()
        fresh = flat is self._flat and all(d.get(k) is v for d, k, v in self._bound)
        if fresh and rows <= self.rows:
            return
        self.rows = max(rows, self.rows)
        opt, theta = self.optimizer, flat.theta
        slots = opt.kernels.slots if opt is not None else ()
        ostate = np.zeros(max(len(slots), 1) * theta.size, self.dtype)
        index = {id(layer): i for i, layer in enumerate(self.model.layers)}
        widths = [self.model.in_features] + [layer.out_features for layer, _ in self.steps]
        a_off = np.concatenate([[0], np.cumsum([self.rows * w for w in widths])])
        n_slots = max(
            len(g.params) + len(g.state) + len(g.work) + (1 if g.act[0] else 0) for g in self.groups
        )
        prog = np.zeros((len(self.steps), codegen.SLOTS + 3 * n_slots), np.int64)
        segs: list[tuple[int, int, int]] = []
        bound: list[tuple[dict, str, np.ndarray]] = []
        work_at = 0
        works: list[tuple[int, ...]] = []
        for i, (layer, act) in enumerate(self.steps):
            k, row = type(layer).kernels, prog[i]
            row[codegen.CODE] = self.layer_groups.index(self.groups[i])
            row[codegen.ACT] = ACTIVATION_CODES[act]
            row[codegen.IN_W], row[codegen.OUT_W] = widths[i], widths[i + 1]
            row[codegen.A_IN], row[codegen.A_OUT] = a_off[i], a_off[i + 1]
            row[codegen.SEG0] = len(segs)
            col = codegen.SLOTS
            for name in k.params:
                a = layer.params.get(name)
                if a is None:
                    col = self._slot(row, col, 0, (0,))
                    continue
                off = flat.offset(theta, a)
                col = self._slot(row, col, off, a.shape)
                if opt is not None:
                    p = Param(
                        f"{index[id(layer)]}.{name}", a, layer.grads[name], name in layer.decay
                    )
                    state = opt.state_for(p)
                    for j, slot in enumerate(slots):
                        view = ostate[j * theta.size + off : j * theta.size + off + a.size]
                        view = view.reshape(a.shape)
                        view[...] = state[slot]
                        state[slot] = view
                        bound.append((state, slot, view))
                    segs.append((off, a.size, int(p.decay)))
            row[codegen.NSEG] = len(segs) - row[codegen.SEG0]
            for name in k.state:
                a = layer.buffers.get(name)
                col = self._slot(
                    row,
                    col,
                    flat.offset(flat.buffers, a) if a is not None else 0,
                    a.shape if a is not None else (0,),
                )
            shapes = layer.kernel_work()
            for name in k.work:
                shape = tuple(shapes[name])
                col = self._slot(row, col, work_at, shape)
                work_at += int(np.prod([self.rows if d < 0 else d for d in shape]))
                works.append(shape)
            if self.fused[i] is not None:  # the fused activation's input, kept for backward
                shape = (-1, int(layer.out_features))
                col = self._slot(row, col, work_at, shape)
                work_at += self.rows * int(layer.out_features)
        self.work = np.zeros(max(work_at, 1), self.dtype)
        self.acts = np.zeros(int(a_off[-1]), self.dtype)
        self.dacts = np.zeros_like(self.acts)
        self.ostate, self.prog = ostate, prog
        self.oseg = np.array(segs, np.int64).reshape(-1, 3)
        self._flat, self._bound = flat, bound

    @staticmethod
    def _slot(row: np.ndarray, col: int, off: int, shape: tuple[int, ...]) -> int:
        row[col] = off
        row[col + 1] = shape[0]
        row[col + 2] = shape[1] if len(shape) > 1 else 0
        return col + 3

    def _scalars(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The layer scalar table and the loss and optimizer scalars, rebuilt only when a
        component's ``kernel_scalars()`` changed."""
        loss, opt = self.loss, self.optimizer
        key = (
            tuple(tuple(layer.kernel_scalars()) for layer, _ in self.steps),
            tuple(loss.kernel_scalars()) if loss else (),
            tuple(opt.kernel_scalars()) if opt else (),
            tuple(tuple(a.kernel_scalars()) if a is not None else () for a in self.fused),
        )
        if key != self._scalar_key:
            layers, lsc, osc, fused = key
            self._scalar_key = key
            self._scalar_arrays = (
                _table(layers),
                np.array(lsc or (0.0,), np.float64),
                np.array(osc or (0.0,), np.float64),
                _table(fused),
            )
        assert self._scalar_arrays is not None
        return self._scalar_arrays

    # -- inputs ---------------------------------------------------------------------------------
    def _input(self, X: np.ndarray) -> tuple[np.ndarray, int]:
        """``X`` as raw uint8 rows plus its dtype code (converted once per array)."""
        hit = self._inputs.get(id(X))
        if hit is not None and hit[0] is X:
            return hit[1], hit[2]
        X2 = np.asarray(X).reshape(len(X), -1)
        if X2.shape[1] != self.model.in_features:
            raise ValueError(
                f"the model expects {self.model.in_features} features per "
                f"row, the input has {X2.shape[1]}"
            )
        if X2.dtype.name not in X_CODES:
            X2 = X2.astype(self.dtype)
        X2 = np.ascontiguousarray(X2)
        raw = X2.view(np.uint8).reshape(len(X2), -1)
        if len(self._inputs) > 8:
            self._inputs.clear()
        self._inputs[id(X)] = (X, raw, X_CODES[X2.dtype.name])
        return raw, X_CODES[X2.dtype.name]

    def _targets(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels as int64 (classification) or values as (n, k) model dtype, converted
        once per array."""
        hit = self._targets_of.get(id(y))
        if hit is not None and hit[0] is y:
            return hit[1]
        if self.loss is not None and self.loss.task == "classification":
            pair = (np.ascontiguousarray(y, np.int64), self._no_values)
        else:
            values = np.ascontiguousarray(np.asarray(y, self.dtype).reshape(len(y), -1))
            pair = (self._no_labels, values)
        if len(self._targets_of) > 8:
            self._targets_of.clear()
        self._targets_of[id(y)] = (y, pair)
        return pair

    def _call(
        self,
        mode: int,
        X: np.ndarray,
        order: np.ndarray,
        start: int,
        stop: int,
        batch: int,
        scale: float,
        y: np.ndarray | None,
        lrs: np.ndarray,
        out: np.ndarray,
        metric_weights: Any = None,
    ) -> Any:
        if self.driver is None:
            self.prepare()
        self.bind(batch)
        raw, code = self._input(X)
        Yi, Yf = self._targets(y) if y is not None else (self._no_labels, self._no_values)
        table, lsc, osc, asc = self._scalars()
        flat = self._flat
        mw = self._weights(metric_weights, Yf.shape[1])
        try:
            return self._run_driver(
                mode,
                raw,
                code,
                order,
                start,
                stop,
                batch,
                scale,
                Yi,
                Yf,
                mw,
                lrs,
                table,
                flat,
                lsc,
                osc,
                out,
                asc,
            )
        except (NNPlugError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise self._blame(exc) from exc

    def _blame(self, exc: BaseException) -> Exception:
        """The :class:`PluginRuntimeError` naming the component whose kernel raised
        ``exc`` (the driver records which it was calling)."""
        index, phase = int(self.where[0]), int(self.where[1])
        obj: Any = None
        action = ("forward", "backward", "forward", "update")[phase] if 0 <= phase < 4 else ""
        if phase in (0, 1) and 0 <= index < len(self.steps):
            obj = self.steps[index][0]
        elif phase == 2:
            obj = self.loss
        elif phase == 3:
            obj = self.optimizer
        if obj is None:
            return PluginRuntimeError(
                f"the compiled training driver failed: {describe_exception(exc)}"
            )
        return plugin_error(obj, exc, f"{action} (compiled kernel)")

    def _run_driver(self, mode, raw, code, order, start, stop, batch, scale, Yi, Yf, mw, lrs,
                    table, flat, lsc, osc, out, asc):  # fmt: skip
        opt = self.optimizer
        self.where[:] = -2
        return self.driver(
            mode,
            raw,
            code,
            order,
            start,
            stop,
            batch,
            float(scale),
            Yi,
            Yf,
            mw,
            lrs,
            self.prog,
            table,
            flat.theta,
            flat.grad,
            flat.buffers,
            self.work,
            self.acts,
            self.dacts,
            self._lcode,
            lsc,
            self._ocode,
            osc,
            self.oseg,
            self.ostate,
            float(opt.weight_decay) if opt else 0.0,
            out,
            int(self.model.training_steps),
            int(opt.steps) if opt else 0,
            self.where,
            asc,
        )

    @staticmethod
    def _weights(weights: Any, k: int) -> np.ndarray:
        """Per-output weights of the squared error (1 when the targets are not scaled)."""
        if weights is None:
            return np.ones(max(k, 1))
        return np.ascontiguousarray(np.broadcast_to(np.asarray(weights, np.float64), (max(k, 1),)))

    # -- the CompiledTrainer interface ------------------------------------------------------------
    def train_steps(self, X, y, order, start, stop, batch_size, lrs, scale, metric_weights=None):
        order = np.ascontiguousarray(order, np.int64)
        loss_sum, metric_sum, seen, done, bad, bad_loss = self._call(
            0,
            X,
            order,
            start,
            stop,
            batch_size,
            scale,
            y,
            np.ascontiguousarray(lrs, np.float64),
            np.zeros((0, 0), self.dtype),
            metric_weights,
        )
        self.model.training_steps += done
        self.optimizer.steps += done
        if bad >= 0:
            return bad_loss, metric_sum, seen, bad
        return loss_sum, metric_sum, seen, -1

    def _eval_rows(self) -> int:
        return max(self.rows, 256)

    def predict(self, X, scale):
        n = len(X)
        rows = self._eval_rows()
        out = np.empty((n, self.model.out_features), self.dtype)
        if n:
            self._call(
                1, X, np.zeros(0, np.int64), 0, -(-n // rows), rows, scale, None, np.zeros(1), out
            )
        return out

    def evaluate(self, X, y, scale, metric_weights=None):
        """Eval-mode ``(mean loss, metric)``: accuracy, or RMSE over all outputs (errors
        weighted per output by ``metric_weights``)."""
        n = len(X)
        rows = self._eval_rows()
        loss_sum, metric_sum, seen, _, bad, bad_loss = self._call(
            2,
            X,
            np.zeros(0, np.int64),
            0,
            -(-n // rows),
            rows,
            scale,
            y,
            np.zeros(1),
            np.zeros((0, 0), self.dtype),
            metric_weights,
        )
        if bad >= 0:
            return float(bad_loss), float("nan")
        metric = (
            metric_sum / seen
            if self.loss.task == "classification"
            else float(np.sqrt(metric_sum / seen))
        )
        return loss_sum / seen, metric
