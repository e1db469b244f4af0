"""A component's compiled kernels called one at a time, exactly as a compiling backend's
driver calls them (the signatures of :mod:`nnplug.kernels`), and compared with what the
component's own NumPy code computes on the reference backend.

What it enforces beyond "the numbers agree": every output a kernel must fill (``y``,
``dx``, ``grads``, ``grad``) is poisoned with NaN before the call, so a kernel that leaves
part of one unwritten, or accumulates into ``grads`` instead of overwriting them, shows up;
``work`` is poisoned before ``forward`` (a backward that reads scratch its forward did not
write shows up too); parameters and buffers are random, not their initial values (gamma=1,
beta=0 hide a wrong output slot); a compiling backend may run a bounds-checked build of the
kernels first (an out-of-bounds write is an ``IndexError``, not heap corruption).

Used by the kernel conformance kit (:mod:`nnplug.testing.kernels`), ``nnplug gradcheck``
(the kernels' own gradients, :class:`KernelLayer`) and the numba backend's self-check after
it compiles a plugin's kernels.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnplug.backend import Backend, reference_backend
from nnplug.base import Layer, Loss, Optimizer, Param
from nnplug.errors import NNPlugError
from nnplug.kernels import ACTIVATION_CODES

#: the parameters each kernel function takes, by contract (nnplug.kernels)
SIGNATURES = {
    "layer.forward": ("x", "y", "params", "state", "work", "scalars", "act", "training", "step"),
    "layer.backward": (
        "x",
        "y",
        "dy",
        "dx",
        "params",
        "grads",
        "state",
        "work",
        "scalars",
        "act",
        "training",
        "need_dx",
        "step",
    ),
    "loss.forward": ("out", "target", "grad", "scalars"),
    "optimizer.update": ("p", "g", "slots", "scalars", "lr", "wd", "t"),
}
#: relative and absolute tolerances (x the array's scale) by dtype: float64 kernels agree
#: with NumPy to rounding; float32 ones to what another order of summation gives
TOLERANCES = {np.dtype(np.float64): (1e-9, 1e-11), np.dtype(np.float32): (1e-4, 1e-5)}


@dataclass(frozen=True)
class Difference:
    """One array a kernel got wrong: its name and how far off it is (inf: not finite)."""

    what: str
    abs_error: float
    rel_error: float
    unfilled: bool = False

    def __str__(self) -> str:
        if self.unfilled:
            return f"{self.what}: not filled (NaN left where the kernel must write)"
        return f"{self.what}: max abs error {self.abs_error:.3g}, rel {self.rel_error:.3g}"


def compare(
    got: Any, want: Any, what: str, dtype: Any, scale: float | None = None
) -> Difference | None:
    """None when ``got`` matches ``want`` within :data:`TOLERANCES` (the absolute one times
    ``scale``, by default the largest magnitude in ``want``), else the difference."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return Difference(f"{what} (shape {got.shape}, expected {want.shape})", np.inf, np.inf)
    if not got.size:
        return None
    if np.isnan(got).any() and not np.isnan(want).any():
        return Difference(what, np.inf, np.inf, unfilled=True)
    rtol, atol = TOLERANCES[np.dtype(dtype)]
    if scale is None:
        scale = float(np.max(np.abs(want))) if np.isfinite(want).all() else 1.0
    err = np.abs(got - want)
    if np.allclose(got, want, rtol=rtol, atol=atol * max(scale, 1e-30), equal_nan=True):
        return None
    worst = float(np.nanmax(err))
    return Difference(what, worst, worst / max(scale, 1e-300))


def check_signature(function: Any, contract: str, owner: str) -> None:
    """One-line :class:`NNPlugError` unless ``function`` takes the contract's parameters."""
    target = getattr(function, "py_func", function)
    try:
        params = list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return
    want = SIGNATURES[contract]
    if len(params) != len(want):
        raise NNPlugError(
            f"{owner}: kernel {getattr(target, '__name__', '?')}({', '.join(params)}) takes "
            f"{len(params)} arguments; the contract is {contract.split('.')[1]}"
            f"({', '.join(want)}) (see nnplug.kernels)"
        )


def _scalars(component: Any) -> np.ndarray:
    return np.array([float(v) for v in component.kernel_scalars()] or [0.0], np.float64)


def _poisoned(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return np.full(shape, np.nan, dtype)


def _array(store: dict[str, np.ndarray], name: str, dtype: Any, ndim: int) -> np.ndarray:
    """``store[name]``, or the empty array a missing optional one arrives as."""
    a = store.get(name)
    return np.zeros((0,) * max(ndim, 1), dtype) if a is None else a


class LayerKernels:
    """One layer's ``forward``/``backward`` kernels over that layer's own parameters and
    buffers, with fresh poisoned outputs per call."""

    def __init__(self, layer: Layer, module: Any):
        self.layer = layer
        decl = type(layer).kernels
        assert decl is not None  # a layer with kernels
        self.decl = decl
        self.forward_fn = getattr(module, self.decl.forward)
        self.backward_fn = getattr(module, self.decl.backward)
        self.work: tuple[np.ndarray, ...] = ()

    def _params(self) -> tuple[np.ndarray, ...]:
        """The declared parameters; a missing optional one (``linear:bias=false``'s ``b``)
        arrives empty, as the driver passes it."""
        layer = self.layer
        return tuple(_array(layer.params, n, layer_dtype(layer), 1) for n in self.decl.params)

    def forward(self, x: np.ndarray, act: int, training: bool, step: int) -> np.ndarray:
        layer, dtype = self.layer, x.dtype
        shapes = layer.kernel_work()
        self.work = tuple(
            _poisoned(tuple(len(x) if d < 0 else d for d in shapes[n]), dtype)
            for n in self.decl.work
        )
        state = tuple(_array(layer.buffers, n, dtype, 1) for n in self.decl.state)
        y = _poisoned((len(x), int(layer.out_features or 0)), dtype)
        self.forward_fn(
            x, y, self._params(), state, self.work, _scalars(layer), act, training, step
        )
        return y

    def backward(
        self,
        x: np.ndarray,
        y: np.ndarray,
        dy: np.ndarray,
        act: int,
        training: bool,
        need_dx: bool,
        step: int,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        layer, dtype = self.layer, x.dtype
        params = self._params()
        grads = tuple(_poisoned(p.shape, dtype) for p in params)
        state = tuple(_array(layer.buffers, n, dtype, 1) for n in self.decl.state)
        dx = _poisoned(x.shape, dtype)
        self.backward_fn(
            x, y, dy.copy(), dx, params, grads, state, self.work, _scalars(layer), act,
            training, need_dx, step,
        )  # fmt: skip
        return dx, grads


def layer_dtype(layer: Layer) -> Any:
    first = next(iter(layer.params.values()), None)
    return first.dtype if first is not None else np.float64


def twin_layers(
    cls: type[Layer], options: dict[str, Any], in_features: int, dtype: Any, seed: int
) -> tuple[Layer, Layer]:
    """Two identical built layers of ``cls`` on the reference backend, with random
    parameters and the running buffers a few training batches leave."""
    rng = np.random.default_rng(seed)
    pair = []
    for _ in range(2):
        layer = cls(**options)
        layer.build(in_features, rng=np.random.default_rng(seed), dtype=dtype, init="he")
        layer.ops = reference_backend()
        pair.append(layer)
    ref, other = pair
    for value in ref.params.values():
        value += (rng.standard_normal(value.shape) * 0.5).astype(dtype)
    ref.train(True)
    for shift in (1.0, -0.5):
        ref.step = 1
        ref.forward((rng.standard_normal((6, in_features)) * (1 + shift) + shift).astype(dtype))
    for store, other_store in ((ref.params, other.params), (ref.buffers, other.buffers)):
        for key, value in store.items():
            other_store[key][...] = value
    return ref, other


def compare_layer(
    cls: type[Layer],
    options: dict[str, Any],
    module: Any,
    *,
    dtype: Any = np.float64,
    training: bool = True,
    act: str | None = None,
    in_features: int = 6,
    batch: int = 7,
    seed: int = 0,
    step: int = 5,
) -> list[Difference]:
    """Every array the layer's kernels get wrong against its NumPy code, for one case:
    ``forward`` (output and updated buffers), then ``backward`` (``dx`` and every
    gradient, with ``need_dx`` true and false)."""
    ref, mine = twin_layers(cls, options, in_features, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((batch, in_features)).astype(dtype)
    code = ACTIVATION_CODES[act]
    for layer in (ref, mine):
        layer.train(training)
        layer.step = step
    y_ref = np.array(ref.forward_fused(x.copy(), act) if act else ref.forward(x.copy()))
    calls = LayerKernels(mine, module)
    y = calls.forward(x.copy(), code, training, step)
    found = [compare(y, y_ref, "forward: y", dtype)]
    for name in type(mine).kernels.state:  # type: ignore[union-attr]
        if name in ref.buffers:
            found.append(compare(mine.buffers[name], ref.buffers[name], f"buffer {name}", dtype))
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    ref.zero_grads()
    dx_ref = ref.backward_fused(dy.copy(), act) if act else ref.backward(dy.copy())
    for need_dx in (True, False):
        dx, grads = calls.backward(x.copy(), y.copy(), dy, code, training, need_dx, step)
        tag = "backward" if need_dx else "backward (need_dx false)"
        if need_dx:
            found.append(compare(dx, dx_ref, f"{tag}: dx", dtype))
        decl = type(mine).kernels
        for name, g in zip(decl.params, grads, strict=True):  # type: ignore[union-attr]
            if name in ref.grads:
                found.append(compare(g, ref.grads[name], f"{tag}: grads {name}", dtype))
    return [d for d in found if d is not None]


def compare_loss(
    cls: type[Loss],
    options: dict[str, Any],
    module: Any,
    *,
    dtype: Any = np.float64,
    batch: int = 9,
    outputs: int = 4,
    seed: int = 0,
) -> list[Difference]:
    """The loss kernel's value and (poisoned-first) gradient against forward/backward."""
    rng = np.random.default_rng(seed)
    out = (rng.standard_normal((batch, outputs)) * 2).astype(dtype)
    if cls.task == "classification":
        target: np.ndarray = rng.integers(0, outputs, batch).astype(np.int64)
    else:
        target = rng.standard_normal((batch, outputs)).astype(dtype)
    loss = cls(**options)
    loss.ops = reference_backend()
    want = loss.forward(out.copy(), target)
    want_grad = np.array(loss.backward(), copy=True).reshape(out.shape)
    grad = _poisoned(out.shape, dtype)
    got = getattr(module, loss.kernels.forward)(out, target, grad, _scalars(loss))  # type: ignore[union-attr]
    found = [compare(got, want, "loss", dtype), compare(grad, want_grad, "grad", dtype)]
    return [d for d in found if d is not None]


def compare_optimizer(
    cls: type[Optimizer],
    options: dict[str, Any],
    module: Any,
    *,
    dtype: Any = np.float64,
    weight_decay: float = 0.01,
    steps: int = 3,
    size: int = 17,
    seed: int = 0,
) -> list[Difference]:
    """``steps`` kernel updates from random state (decayed and not) against ``update``."""
    rng = np.random.default_rng(seed)
    opt = cls(**{**options, "weight_decay": weight_decay})
    opt.ops = reference_backend()
    decl = cls.kernels
    assert decl is not None
    found: list[Difference | None] = []
    for decay in (True, False):
        p0 = rng.standard_normal(size).astype(dtype)
        ref = Param(f"0.{decay}", p0.copy(), np.zeros_like(p0), decay)
        state = opt.state_for(ref)
        for slot in decl.slots:  # random state, as after some training
            state[slot][...] = np.abs(rng.standard_normal(size)).astype(dtype) * 0.1
        mine = p0.copy()
        slots = tuple(state[slot].copy() for slot in decl.slots)
        t0 = opt.steps
        for t in range(1, steps + 1):
            g = rng.standard_normal(size).astype(dtype)
            ref.grad[...] = g
            opt.step([ref])
            getattr(module, decl.update)(mine, g, slots, _scalars(opt), opt.lr, opt.wd(ref), t0 + t)
        found.append(compare(mine, ref.value, f"parameters (decay {decay})", dtype))
        for name, a in zip(decl.slots, slots, strict=True):
            found.append(compare(a, opt.state[ref.key][name], f"state {name} ({decay})", dtype))
    return [d for d in found if d is not None]


def compare_elementwise(
    cls: type[Layer],
    options: dict[str, Any],
    module: Any,
    *,
    dtype: Any = np.float64,
    size: int = 64,
    seed: int = 0,
) -> list[Difference]:
    """An activation's ``elementwise`` value and derivative (called element by element, as
    a fused loop calls them) against its ``forward`` and ``backward``."""
    decl = cls.elementwise
    assert decl is not None  # a layer with elementwise kernels
    rng = np.random.default_rng(seed)
    layer = cls(**options)
    layer.build(size, rng=np.random.default_rng(seed), dtype=dtype)
    layer.ops = reference_backend()
    layer.train(True)
    z = (rng.standard_normal((1, size)) * 3).astype(dtype)
    a_ref = np.array(layer.forward(z.copy()), copy=True)
    d_ref = np.array(layer.backward(np.ones_like(z)), copy=True)
    value, derivative = getattr(module, decl.value), getattr(module, decl.derivative)
    scalars = _scalars(layer)
    a = np.array([value(v, scalars) for v in z[0]], dtype)
    d = np.array([derivative(v, w, scalars) for v, w in zip(z[0], a, strict=True)], dtype)
    found = [compare(a, a_ref[0], "elementwise value", dtype)]
    found.append(compare(d, d_ref[0], "elementwise derivative", dtype))
    return [x for x in found if x is not None]


class KernelLayer(Layer):
    """A layer whose forward and backward ARE its compiled kernels (called one at a time):
    what ``nnplug gradcheck`` checks against central differences. It shares the wrapped
    layer's parameters, gradients and buffers."""

    def __init__(self, layer: Layer, backend: Backend, act: str | None = None):
        super().__init__()
        self.inner, self.backend, self.act = layer, backend, act
        self.label = getattr(layer, "name", type(layer).__name__)
        self._calls: LayerKernels | None = None
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def build(
        self, in_features: int, *, rng: Any, dtype: Any = np.float64, init: Any = None
    ) -> int:
        out = self.inner.build(in_features, rng=rng, dtype=dtype, init=init)
        self.params, self.grads, self.buffers = (
            self.inner.params,
            self.inner.grads,
            self.inner.buffers,
        )
        self.in_features, self.out_features = self.inner.in_features, self.inner.out_features
        self._calls = LayerKernels(self.inner, self.backend.kernel_module(type(self.inner).kernels))
        return out

    def train(self, mode: bool = True) -> KernelLayer:
        self.training = mode
        self.inner.train(mode)
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        assert self._calls is not None  # built
        self._x = np.ascontiguousarray(x)
        self._y = self._calls.forward(self._x, ACTIVATION_CODES[self.act], self.training, 5)
        return self._y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        assert self._calls is not None and self._x is not None and self._y is not None
        dx, grads = self._calls.backward(
            self._x, self._y, np.ascontiguousarray(dy), ACTIVATION_CODES[self.act],
            self.training, True, 5,
        )  # fmt: skip
        for name, g in zip(type(self.inner).kernels.params, grads, strict=True):  # type: ignore[union-attr]
            if name in self.grads:
                self.grads[name][...] = g
        return dx


class KernelLoss(Loss):
    """A loss whose forward and backward ARE its compiled kernel: ``forward`` returns the
    kernel's mean loss, ``backward`` the gradient it filled (for ``nnplug gradcheck``)."""

    def __init__(self, loss: Loss, backend: Backend):
        super().__init__()
        self.inner = loss
        self.__dict__["task"] = loss.task  # the wrapped loss's (a class attribute there)
        decl = type(loss).kernels
        assert decl is not None  # a loss with kernels
        self._fn = getattr(backend.kernel_module(decl), decl.forward)
        self._grad: np.ndarray | None = None

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        out = np.ascontiguousarray(outputs)
        target = (
            np.ascontiguousarray(targets, np.int64)
            if self.task == "classification"
            else np.ascontiguousarray(np.asarray(targets, out.dtype).reshape(out.shape))
        )
        self._grad = _poisoned(out.shape, out.dtype)
        return float(self._fn(out, target, self._grad, _scalars(self.inner)))

    def backward(self) -> np.ndarray:
        assert self._grad is not None  # forward ran
        return self._grad


__all__ = [
    "SIGNATURES",
    "TOLERANCES",
    "Difference",
    "KernelLayer",
    "KernelLoss",
    "LayerKernels",
    "check_signature",
    "compare",
    "compare_elementwise",
    "compare_layer",
    "compare_loss",
    "compare_optimizer",
    "layer_dtype",
    "twin_layers",
]
