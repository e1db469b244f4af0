"""Sequential: a stack of layers built from a spec, with shape inference."""
from __future__ import annotations

import inspect
from typing import Any, Iterable

import numpy as np

from .base import Layer, Param
from .errors import SpecError
from .registry import Registry, get_registry
from .spec import ComponentSpec, parse_spec


def make_component(kind: str, spec: ComponentSpec, registry: Registry | None = None,
                   **defaults: Any) -> Any:
    """Instantiate ``spec`` of ``kind``; options in the spec override ``defaults``.

    Any constructor error becomes a one-line :class:`SpecError` naming the token.
    """
    registry = registry or get_registry()
    cls = registry.get(kind, spec.name).cls
    options = dict(defaults)
    if spec.positional is not None:
        if not getattr(cls, "positional", None):
            raise SpecError(f"bad spec at token {spec.index + 1} '{spec.token}': "
                            f"{kind} '{spec.name}' takes no positional value; use key=value")
        options[cls.positional] = spec.positional
    options.update(spec.options)
    problem = _check_options(cls, spec.options, kind, spec.name)
    if problem:
        raise SpecError(f"bad spec at token {spec.index + 1} '{spec.token}': {problem}")
    # options from elsewhere (CLI flags such as --classes): the same check, no token to blame
    problem = _check_options(cls, {k: v for k, v in defaults.items() if k not in spec.options},
                             kind, spec.name)
    if problem:
        raise SpecError(problem)
    try:
        obj = cls(**options)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bad spec at token {spec.index + 1} '{spec.token}': {exc}") from None
    obj.spec_name = spec.name
    return obj


def _check_options(cls: Any, given: dict[str, Any], kind: str, name: str) -> str | None:
    """Say what is wrong with ``given`` for ``cls.__init__``, judged by its signature:
    an option it does not take, or a word where its default is a number or a flag."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    known = [n for n, p in params.items() if n != "self" and p.kind is not p.VAR_POSITIONAL]
    for key, value in given.items():
        if key not in params or key == "self":
            return (f"{kind} '{name}' has no option '{key}' "
                    f"(options: {', '.join(known) or 'none'})")
        default = params[key].default
        if isinstance(default, bool) and not isinstance(value, bool):
            return f"option '{key}' expects true or false, got {value!r}"
        if (isinstance(default, (int, float)) and not isinstance(default, bool)
                and not isinstance(value, (int, float))):
            return f"option '{key}' expects a number, got {value!r}"
    return None


class Sequential:
    """Layers applied in order; ``backward`` runs them in reverse.

    Fusion: where a layer's ``fuses(next_layer)`` says so (the built-in linear and
    batchnorm before relu/sigmoid/tanh), the pair runs as one step through
    ``forward_act(x, act)`` / ``backward_act(dy, act)`` -- same math, fewer passes over
    memory. ``fuse = False`` runs every layer on its own.
    """

    def __init__(self, layers: Iterable[Layer], *, fuse: bool = True):
        self.layers: list[Layer] = list(layers)
        self.in_features: int | None = None
        self.dtype: Any = None
        self._params: list[Param] | None = None
        self.fuse = fuse
        #: False: ``backward`` skips d loss / d input (the first GEMM of the backward
        #: pass when the model starts with ``linear``) and returns None. Training sets it.
        self.input_grad = True

    def steps(self) -> list[tuple[Layer, Layer | None]]:
        """``(layer, absorbed activation or None)`` in forward order."""
        out: list[tuple[Layer, Layer | None]] = []
        i, layers = 0, self.layers
        while i < len(layers):
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            fuses = getattr(layers[i], "fuses", None)
            if self.fuse and nxt is not None and fuses is not None and fuses(nxt):
                out.append((layers[i], nxt))
                i += 2
            else:
                out.append((layers[i], None))
                i += 1
        return out

    # -- construction ----------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: str, in_features: int, n_outputs: int | None = None, *,
                  hidden: int = 256, rng: np.random.Generator | int | None = 0,
                  dtype: Any = np.float32, registry: Registry | None = None) -> "Sequential":
        """Build ``spec`` (the hidden stack) and append ``linear:n_outputs`` if given.

        Layers with a ``units`` positional (``linear``) default to ``hidden`` wide.
        """
        registry = registry or get_registry()
        layers = []
        for item in parse_spec(spec):
            comp = registry.get("layer", item.name).cls
            defaults = {"units": hidden} if getattr(comp, "positional", None) == "units" else {}
            if defaults and "units" in item.options:
                defaults = {}
            layers.append(make_component("layer", item, registry, **defaults))
        if n_outputs is not None:
            out = ComponentSpec("linear", positional=n_outputs, token=f"linear:{n_outputs}",
                                index=len(layers))
            layers.append(make_component("layer", out, registry))
        model = cls(layers)
        model.build(in_features, rng=rng, dtype=dtype)
        return model

    def build(self, in_features: int, *, rng: np.random.Generator | int | None = 0,
              dtype: Any = np.float32) -> "Sequential":
        """Infer every layer's shape from ``in_features``; choose each init from the
        first non-transparent layer after it (He before ReLU, Xavier otherwise)."""
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.in_features, self.dtype = int(in_features), np.dtype(dtype)
        width = self.in_features
        for i, layer in enumerate(self.layers):
            try:
                width = layer.build(width, rng=rng, dtype=self.dtype, init=self._init_for(i))
            except (TypeError, ValueError) as exc:
                name = getattr(layer, "spec_name", type(layer).__name__)
                raise SpecError(f"cannot build layer {i + 1} '{name}': {exc}") from None
        self._params = None
        return self

    def _init_for(self, i: int) -> str:
        for layer in self.layers[i + 1:]:
            if getattr(layer, "transparent_for_init", False):
                continue
            return getattr(layer, "init_scheme", None) or "xavier"
        return "xavier"

    @property
    def out_features(self) -> int | None:
        return self.layers[-1].out_features if self.layers else self.in_features

    # -- compute --------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer, act in self.steps():
            x = layer.forward(x) if act is None else layer.forward_act(x, act)
        return x

    __call__ = forward

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        steps = self.steps()
        for i in range(len(steps) - 1, -1, -1):
            layer, act = steps[i]
            if i == 0 and not self.input_grad and hasattr(layer, "backward_act"):
                return layer.backward_act(dy, act, need_dx=False)
            dy = layer.backward(dy) if act is None else layer.backward_act(dy, act)
        return dy

    def train(self, mode: bool = True) -> "Sequential":
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> "Sequential":
        return self.train(False)

    def predict_raw(self, X: np.ndarray, *, batch_size: int = 1024, scale: float = 1.0
                    ) -> np.ndarray:
        """Eval-mode forward over ``X`` in batches (converting each to the model dtype)."""
        was_training = [layer.training for layer in self.layers]
        self.eval()
        try:
            outs = []
            for start in range(0, len(X), batch_size):
                xb = np.asarray(X[start:start + batch_size]).reshape(
                    -1, self.in_features).astype(self.dtype)
                if scale != 1.0:
                    xb *= self.dtype.type(scale)
                outs.append(self.forward(xb))
            return np.concatenate(outs) if outs else np.zeros((0, self.out_features), self.dtype)
        finally:
            for layer, mode in zip(self.layers, was_training):
                layer.train(mode)

    # -- parameters and state -------------------------------------------------------------
    def parameters(self) -> list[Param]:
        """Every parameter with its gradient, keyed ``"<index>.<name>"``; the arrays are
        the layers' own, so in-place updates are what the layers compute with."""
        if self._params is None:
            self._params = [Param(f"{i}.{k}", v, layer.grads[k], k in layer.decay)
                            for i, layer in enumerate(self.layers)
                            for k, v in layer.params.items()]
        return self._params

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
        parts = [f"{getattr(layer, 'spec_name', type(layer).__name__)}"
                 f"({layer.in_features}->{layer.out_features})" for layer in self.layers]
        return " > ".join(parts)
