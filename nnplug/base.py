"""Base classes for the four component kinds. Plugins subclass these.

The contracts are small and explicit:

* :class:`Layer` -- ``build`` (shape inference from the input width), ``forward``,
  ``backward``; parameters in ``params`` with gradients in ``grads`` (same keys,
  updated in place by the optimizer); extra saved state (running statistics) in
  ``buffers``; ``training`` switches train/eval behaviour.
* :class:`Loss` -- ``forward(outputs, targets) -> float`` then ``backward() -> doutputs``.
* :class:`Optimizer` -- ``step(params)`` updates every :class:`Param` in place.
* :class:`Dataset` -- ``load(...) -> Data``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .backend import ops


class Component:
    """Common to every component: a ``name`` and the options it was made with."""

    name: ClassVar[str] = ""
    #: the option a bare positional spec value sets (``linear:512`` -> ``units=512``)
    positional: ClassVar[str | None] = None
    #: options that build a small example for ``nnplug gradcheck`` / ``nnplug.testing``
    #: (``None``: ``{"units": 3}`` when ``positional == "units"``, else no options)
    example_options: ClassVar[dict[str, Any] | None] = None

    def __init__(self, **options: Any):
        if options:
            bad = ", ".join(sorted(options))
            raise TypeError(f"unexpected option(s) {bad}")

    def options(self) -> dict[str, Any]:
        """The keyword options that rebuild this component (saved in model files)."""
        return {}


class Layer(Component):
    """A differentiable block: ``y = f(x; params)`` with a hand-written backward."""

    #: for activation layers: which initialisation the *preceding* Linear should use
    #: ("he" for ReLU-like, "xavier" for sigmoid/tanh). ``None``: transparent
    #: (BatchNorm, Dropout) -- the Linear looks further ahead.
    init_scheme: ClassVar[str | None] = None
    #: True for layers that change nothing about the init decision (normalisation, dropout)
    transparent_for_init: ClassVar[bool] = False

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        #: names in ``params`` that receive L2 weight decay (weights, not biases)
        self.decay: set[str] = set()
        self.training = True
        self.in_features: int | None = None
        self.out_features: int | None = None

    def build(self, in_features: int, *, rng: np.random.Generator, dtype: Any = np.float32,
              init: str | None = None) -> int:
        """Create parameters for ``in_features`` inputs; return the output width.

        ``init`` is the scheme the model chose for this layer ("he"/"xavier"),
        from the activation that follows it.
        """
        self.in_features = self.out_features = int(in_features)
        return self.out_features

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def train(self, mode: bool = True) -> "Layer":
        self.training = mode
        return self

    def eval(self) -> "Layer":
        return self.train(False)

    def zero_grads(self) -> None:
        for g in self.grads.values():
            g.fill(0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_features}->{self.out_features})"


class Loss(Component):
    """Scalar objective over a batch; ``backward`` returns d(loss)/d(outputs)."""

    #: "classification" or "regression"
    task: ClassVar[str] = "classification"

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        """Map raw network outputs to what a user wants (probabilities, values)."""
        return outputs


@dataclass
class Param:
    """A view of one parameter: the array the layer uses and its gradient."""

    key: str
    value: np.ndarray
    grad: np.ndarray
    decay: bool


class Optimizer(Component):
    """Updates parameters in place from their gradients; keeps per-parameter state."""

    #: the learning rate ``nnplug train`` uses when ``--lr`` is not given, per task
    #: (``{"classification": ..., "regression": ...}``); ``None``: the constructor's default
    default_lr: ClassVar[dict[str, float] | None] = None

    def __init__(self, lr: float = 0.01, weight_decay: float = 0.0, **options: Any):
        super().__init__(**options)
        if not lr > 0:
            raise ValueError("lr must be > 0")
        if weight_decay < 0:
            raise ValueError("weight_decay must be >= 0")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        #: param key -> {state name -> array}
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.steps = 0

    def step(self, params: list[Param]) -> None:
        self.steps += 1
        for p in params:
            self.update(p, self.state.setdefault(p.key, {}))

    def update(self, p: Param, state: dict[str, np.ndarray]) -> None:
        """Update ``p.value`` in place (never rebind it)."""
        raise NotImplementedError

    def wd(self, p: Param) -> float:
        return self.weight_decay if p.decay else 0.0


@dataclass
class Data:
    """What a dataset plugin returns: splits plus what the Solver needs to know.

    ``X_*`` may be uint8 (e.g. images); the Solver converts each minibatch to the
    compute dtype and multiplies by ``scale`` -- no float copy of the whole set.
    ``target_mean``/``target_std`` (regression, one value per target column, from the
    training split): the network learns ``(y - mean) / std`` and every metric, prediction
    and saved model maps back to the target's units. ``y_*`` stay in those units.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    task: str = "classification"
    classes: list[str] | None = None
    scale: float = 1.0
    feature_names: list[str] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    target_mean: np.ndarray | None = None
    target_std: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return int(np.prod(self.X_train.shape[1:]))

    @property
    def n_outputs(self) -> int:
        if self.task == "classification":
            return len(self.classes) if self.classes else int(self.y_train.max()) + 1
        return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])


class Dataset(Component):
    """A named source of :class:`Data`."""

    task: ClassVar[str] = "classification"
    #: a short shape description for ``nnplug datasets``, e.g. "1797 x 64"
    shape: ClassVar[str] = ""

    def load(self, *, seed: int = 0, val_fraction: float = 0.1,
             data_dir: str | None = None) -> Data:
        raise NotImplementedError

    def location(self, data_dir: str | None = None) -> str:
        """Where its files live ("embedded" when shipped with a package)."""
        return "embedded"

    def is_cached(self, data_dir: str | None = None) -> bool:
        return True


__all__ = ["Component", "Layer", "Loss", "Optimizer", "Param", "Data", "Dataset", "ops"]
