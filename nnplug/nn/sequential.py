"""Sequential: a stack of layers built from a spec, with shape inference; the model owns
the backend its layers compute on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np

from nnplug.backend import Backend
from nnplug.base import Layer, Param
from nnplug.errors import NNPlugError, SpecError
from nnplug.kernels import NotCompiled
from nnplug.registry.blame import check_shape, plugin_error
from nnplug.registry.registry import Registry, get_registry
from nnplug.registry.resolve import make_component
from nnplug.runtime.backends import DEFAULT_BACKEND, current_backend, get_backend
from nnplug.spec import ComponentSpec, parse_spec

#: the layer appended as the output (by qualified name: a third-party plugin registering
#: its own ``linear`` cannot change or break it); a spec naming another provider's
#: ``linear`` gets that provider's output layer instead
OUTPUT_LAYER = "core/linear"


class FlatState:
    """A model's parameters, gradients and buffers as three flat arrays (``theta``,
    ``grad``, ``buffers``); the layers' own arrays are views into them."""

    def __init__(
        self,
        theta: np.ndarray,
        grad: np.ndarray,
        buffers: np.ndarray,
        views: list[tuple[dict, str, np.ndarray]],
    ):
        self.theta, self.grad, self.buffers = theta, grad, buffers
        self._views = views

    def fresh(self) -> bool:
        """True while every layer array is still the view handed out."""
        return all(store.get(key) is view for store, key, view in self._views)

    @staticmethod
    def offset(arena: np.ndarray, view: np.ndarray) -> int:
        """Element offset of ``view`` in ``arena``."""
        start: int = view.__array_interface__["data"][0] - arena.__array_interface__["data"][0]
        return start // arena.itemsize


class Sequential:
    """Layers applied in order; ``backward`` runs them in reverse.

    The model owns its backend (``backend=`` a name or instance; default: the backend of
    the current context, see :func:`nnplug.runtime.backends.use_backend`) and hands it to every
    layer as ``layer.ops``; :meth:`to` moves it.

    Fusion: a layer whose class sets ``fuses_activation`` absorbs a following layer that
    declares a built-in ``activation_kind`` (the built-in linear and batchnorm before
    relu/sigmoid/tanh): the pair runs as ``forward_fused(x, kind)`` /
    ``backward_fused(dy, kind)`` -- same math, fewer passes over memory. ``fuse=False``
    runs every layer on its own.
    """

    def __init__(
        self, layers: Iterable[Layer], *, fuse: bool = True, backend: str | Backend | None = None
    ):
        self.layers: list[Layer] = list(layers)
        self.in_features: int | None = None
        self.dtype: Any = None
        self.fuse = fuse
        #: False: ``backward`` skips d loss / d input (the first GEMM of the backward
        #: pass when the model starts with ``linear``) and returns None. Training sets it.
        self.input_grad = True
        #: training forwards run so far: each layer sees it as ``layer.step`` (dropout
        #: masks are drawn from it); checkpoints keep it
        self.training_steps = 0
        #: BLAS threads asked for (``--threads``); None: chosen per run by size
        #: (:func:`nnplug.runtime.threads.choose`)
        self.threads: int | None = None
        self.backend: Backend = current_backend()
        self._compiled: tuple[Any, Any, Any, Any] | None = None
        #: the float64 copy :meth:`predict_raw` computes with (``exact=True``), by layers
        self._twin: tuple[tuple[Any, ...], Sequential] | None = None
        #: the flat parameter/gradient/buffer arrays (after ``build``, see :meth:`pack`)
        self.flat: FlatState | None = None
        self.to(backend if backend is not None else self.backend)

    def to(self, backend: str | Backend) -> Sequential:
        """Compute on ``backend`` from now on (a name or an instance)."""
        self.backend = get_backend(backend)
        for layer in self.layers:
            layer.ops = self.backend
        return self

    def compiled(self, loss: Any = None, optimizer: Any = None) -> Any:
        """The backend's compiled runner for this model -- with ``loss`` and ``optimizer``
        for training -- made once and kept; ``None`` if the backend runs per op. Raises
        :class:`~nnplug.kernels.NotCompiled` (saying which component) when the backend
        compiles but this model cannot."""
        key = (self.backend, tuple(map(id, self.layers)), self.dtype, self.fuse)
        if self._compiled is not None:
            old_key, runner, old_loss, old_opt = self._compiled
            if old_key == key and (loss is None or (old_loss is loss and old_opt is optimizer)):
                if isinstance(runner, NotCompiled):
                    raise runner
                return runner
        try:
            runner = self.backend.compile(self, loss, optimizer)
        except NotCompiled as exc:
            self._compiled = (key, exc, loss, optimizer)
            raise
        self._compiled = (key, runner, loss, optimizer)
        return runner

    def steps(self) -> list[tuple[Layer, str | None]]:
        """``(layer, kind of the absorbed activation or None)`` in forward order."""
        out: list[tuple[Layer, str | None]] = []
        i, layers = 0, self.layers
        while i < len(layers):
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if (
                self.fuse
                and nxt is not None
                and layers[i].fuses_activation
                and nxt.activation_kind is not None
            ):
                out.append((layers[i], nxt.activation_kind))
                i += 2
            else:
                out.append((layers[i], None))
                i += 1
        return out

    # -- construction ----------------------------------------------------------
    @classmethod
    def from_spec(
        cls,
        spec: str,
        in_features: int,
        n_outputs: int | None = None,
        *,
        hidden: int = 256,
        rng: np.random.Generator | int | None = 0,
        dtype: Any = np.float32,
        registry: Registry | None = None,
        backend: str | Backend | None = None,
    ) -> Sequential:
        """Build ``spec`` (the hidden stack) and append the output layer
        (``linear:n_outputs``, see :data:`OUTPUT_LAYER`) if ``n_outputs`` is given.

        Layers with a ``units`` positional (``linear``) default to ``hidden`` wide.
        """
        registry = registry or get_registry()
        layers, output = [], OUTPUT_LAYER
        for item in parse_spec(spec):
            comp = registry.get("layer", item.name)
            defaults = {"units": hidden} if comp.cls.positional == "units" else {}
            if defaults and "units" in item.options:
                defaults = {}
            layers.append(make_component("layer", item, registry, **defaults))
            if comp.name == "linear":
                output = comp.qualified_name
        if n_outputs is not None:
            out = ComponentSpec(
                output, positional=n_outputs, token=f"linear:{n_outputs}", index=len(layers)
            )
            layers.append(make_component("layer", out, registry))
        model = cls(layers, backend=backend)
        model.build(in_features, rng=rng, dtype=dtype)
        return model

    def build(
        self,
        in_features: int,
        *,
        rng: np.random.Generator | int | None = 0,
        dtype: Any = np.float32,
        grads: bool = True,
    ) -> Sequential:
        """Infer every layer's shape from ``in_features``; choose each init from the
        first non-transparent layer after it (He before ReLU, Xavier otherwise).
        ``grads=False``: a network that only predicts -- each layer's gradients are
        dropped as soon as it is built (a third of the memory of a float64 copy)."""
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.in_features, self.dtype = int(in_features), np.dtype(dtype)
        width = self.in_features
        for i, layer in enumerate(self.layers):
            try:
                width = layer.build(width, rng=rng, dtype=self.dtype, init=self._init_for(i))
            except (TypeError, ValueError) as exc:
                name = layer.spec_name or type(layer).__name__
                raise SpecError(f"cannot build layer {i + 1} '{name}': {exc}") from None
            except NNPlugError:
                raise
            except (Exception, SystemExit) as exc:
                raise plugin_error(layer, exc, "build") from exc
            if not grads:
                layer.grads = {}
        self.pack()
        return self

    def pack(self) -> Sequential:
        """Lay every parameter, its gradient and every buffer of the model dtype out in
        three flat arrays (:attr:`flat`) and make the layers' arrays views of them.

        Values are kept; identities change (``build`` packs, so code that took a layer's
        arrays after ``build`` holds the views). One flat vector is what a compiled
        backend steps through, and what optimizers and checkpoints see. Arrays of another
        dtype (e.g. integer buffers) stay where they are."""
        dt = self.dtype
        owned = [
            (layer.params, layer.grads, k)
            for layer in self.layers
            for k in layer.params
            if layer.params[k].dtype == dt and k in layer.grads
        ]
        buffers = [
            (layer.buffers, k)
            for layer in self.layers
            for k in layer.buffers
            if layer.buffers[k].dtype == dt
        ]
        theta = np.empty(sum(p[k].size for p, _, k in owned), dt)
        grad = np.zeros_like(theta)
        bufs = np.empty(sum(b[k].size for b, k in buffers), dt)
        views, o = [], 0
        for params, grads, k in owned:
            a = params[k]
            params[k] = theta[o : o + a.size].reshape(a.shape)
            params[k][...] = a
            grads[k] = grad[o : o + a.size].reshape(a.shape)
            views += [(params, k, params[k]), (grads, k, grads[k])]
            o += a.size
        o = 0
        for store, k in buffers:
            a = store[k]
            store[k] = bufs[o : o + a.size].reshape(a.shape)
            store[k][...] = a
            views.append((store, k, store[k]))
            o += a.size
        self.flat = FlatState(theta, grad, bufs, views)
        return self

    def packed(self) -> FlatState:
        """:attr:`flat`, packed again first if a layer replaced one of its arrays."""
        if self.flat is None or not self.flat.fresh():
            self.pack()
        assert self.flat is not None  # pack() sets it
        return self.flat

    def _init_for(self, i: int) -> str:
        for layer in self.layers[i + 1 :]:
            if layer.transparent_for_init:
                continue
            return layer.init_scheme or "xavier"
        return "xavier"

    def gemm_shapes(self) -> list[tuple[int, int]]:
        """``(in, out)`` of every matrix product: each layer's 2-d parameters."""
        return [
            tuple(p.shape) for layer in self.layers for p in layer.params.values() if p.ndim == 2
        ]

    def blas_threads(self, batch: int) -> int:
        """The BLAS threads a run of ``batch`` rows uses (:func:`nnplug.runtime.threads.choose`)."""
        from nnplug.runtime import threads

        return threads.choose(self.gemm_shapes(), batch, self.threads)

    @property
    def out_features(self) -> int | None:
        return self.layers[-1].out_features if self.layers else self.in_features

    @property
    def training(self) -> bool:
        return bool(self.layers) and self.layers[0].training

    # -- compute --------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Every layer in order. A layer that raises or returns the wrong shape is reported
        in one line naming it and its plugin (:class:`~nnplug.errors.PluginRuntimeError`)."""
        if self.training:
            step, self.training_steps = self.training_steps, self.training_steps + 1
            for layer in self.layers:
                layer.step = step
        for layer, act in self.steps():
            try:
                y = layer.forward(x) if act is None else layer.forward_fused(x, act)
            except NNPlugError:
                raise
            except (Exception, SystemExit) as exc:  # sys.exit() in a plugin: its failure
                raise plugin_error(layer, exc, "forward") from exc
            check_shape(layer, "forward", y, (len(x), layer.out_features))
            x = y
        return x

    __call__ = forward

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        steps = self.steps()
        for i in range(len(steps) - 1, -1, -1):
            layer, act = steps[i]
            try:
                if i == 0 and not self.input_grad and layer.fuses_activation:
                    return layer.backward_fused(dy, act, need_dx=False)
                dx = layer.backward(dy) if act is None else layer.backward_fused(dy, act)
            except NNPlugError:
                raise
            except (Exception, SystemExit) as exc:  # sys.exit() in a plugin: its failure
                raise plugin_error(layer, exc, "backward") from exc
            check_shape(layer, "backward", dx, (len(dy), layer.in_features))
            assert dx is not None  # check_shape refused anything but an array
            dy = dx
        return dy

    def train(self, mode: bool = True) -> Sequential:
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> Sequential:
        return self.train(False)

    def predict_raw(
        self, X: np.ndarray, *, batch_size: int = 1024, scale: float = 1.0, exact: bool = False
    ) -> np.ndarray:
        """Eval-mode outputs for every row of ``X`` (each batch converted to the model
        dtype and multiplied by ``scale``); compiled when the backend compiles.

        ``exact=True``: a row's outputs do not depend on the other rows of ``X`` (their
        number or order). The inputs are rounded to the model dtype and scaled exactly as
        in training, then the network runs in float64 on the NumPy reference backend with
        this network's weights (:meth:`float64_twin`): in float32, a matrix product's
        rounding depends on how many rows it multiplies (BLAS picks other kernels, e.g.
        gemv for one row), up to ~1e-6 relative; in float64 that is ~1e-15.
        """
        from nnplug.runtime import threads

        if exact:
            twin = self.float64_twin()
            with threads.limit(self.blas_threads(batch_size)):
                return twin._predict_per_op(X, batch_size, scale, round_to=self.dtype)
        try:
            compiled = self.compiled() if len(X) else None
            if compiled is not None:
                compiled.prepare()
        except NotCompiled:
            compiled = None
        with threads.limit(self.blas_threads(batch_size)):
            if compiled is not None:
                out: np.ndarray = compiled.predict(X, scale)
                return out
            return self._predict_per_op(X, batch_size, scale)

    def float64_twin(self) -> Sequential:
        """This network in float64 on the NumPy reference backend, in eval mode, holding
        this network's current parameters and buffers: the layers are made again from
        their ``options()`` and built for float64 (without gradients: it only predicts)
        once per network; the values are copied on every call (the original may have
        trained on since)."""
        key = (*map(id, self.layers), self.in_features)
        if self._twin is None or self._twin[0] != key:
            layers = []
            for layer in self.layers:
                try:
                    copy = type(layer)(**layer.options())
                except NNPlugError:
                    raise
                except (Exception, SystemExit) as exc:
                    raise plugin_error(layer, exc, "__init__") from exc
                copy.spec_name = layer.spec_name
                layers.append(copy)
            twin = Sequential(layers, fuse=self.fuse, backend=DEFAULT_BACKEND)
            twin.build(cast(int, self.in_features), rng=0, dtype=np.float64, grads=False)
            self._twin = (key, twin)
        twin = self._twin[1]
        twin.load_state_arrays(self.state_arrays())  # cast to float64
        twin.training_steps = self.training_steps
        return twin.eval()

    def _predict_per_op(
        self, X: np.ndarray, batch_size: int, scale: float, round_to: Any = None
    ) -> np.ndarray:
        """Per-op prediction; ``round_to``: the dtype inputs are converted to and scaled
        in before the network's own dtype (the training dtype, for :meth:`float64_twin`)."""
        was_training = [layer.training for layer in self.layers]
        self.eval()
        first = np.dtype(round_to) if round_to is not None else self.dtype
        try:
            outs = []
            for start in range(0, len(X), batch_size):
                xb = (
                    np.asarray(X[start : start + batch_size])
                    .reshape(-1, cast(int, self.in_features))  # set by build()
                    .astype(first)
                )
                if scale != 1.0:
                    xb *= first.type(scale)
                outs.append(self.forward(xb.astype(self.dtype, copy=False)))
            width = cast(int, self.out_features)  # set by build()
            return np.concatenate(outs) if outs else np.zeros((0, width), self.dtype)
        finally:
            for layer, mode in zip(self.layers, was_training, strict=True):
                layer.train(mode)

    # -- parameters and state -------------------------------------------------------------
    def parameters(self) -> list[Param]:
        """Every parameter with its gradient, keyed ``"<index>.<name>"``; the arrays are
        the layers' own, so in-place updates are what the layers compute with."""
        return [
            Param(f"{i}.{k}", v, layer.grads[k], k in layer.decay)
            for i, layer in enumerate(self.layers)
            for k, v in layer.params.items()
        ]

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Parameters and buffers, ``"<index>.<name>"`` -> array (views, not copies)."""
        out = {}
        for i, layer in enumerate(self.layers):
            for k, v in {**layer.params, **layer.buffers}.items():
                out[f"{i}.{k}"] = v
        return out

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy ``arrays`` into the existing parameters/buffers, in place."""
        own = self.state_arrays()
        missing = sorted(set(own) - set(arrays))
        if missing:
            raise SpecError(f"state is missing {', '.join(missing[:5])}")
        for key, dst in own.items():
            src = np.asarray(arrays[key])
            if src.shape != dst.shape:
                raise SpecError(f"state '{key}' has shape {src.shape}, model needs {dst.shape}")
            dst[...] = src

    def n_params(self) -> int:
        return sum(p.value.size for p in self.parameters())

    def describe(self) -> str:
        parts = [
            f"{(layer.spec_name or type(layer).__name__).split('/')[-1]}"
            f"({layer.in_features}->{layer.out_features})"
            for layer in self.layers
        ]
        return " > ".join(parts)
