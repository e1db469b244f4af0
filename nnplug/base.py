"""Base classes for the four component kinds. Plugins subclass these.

The contracts are small and declared here:

* :class:`Layer` -- ``build`` (shape inference from the input width), ``forward``,
  ``backward``; parameters in ``params`` with gradients in ``grads`` (same keys,
  updated in place by the optimizer); saved state (running statistics) in ``buffers``;
  ``training`` switches train/eval behaviour. Optional: fusing a following built-in
  activation (``fuses_activation``), compiled kernels (``kernels``).
* :class:`Loss` -- ``forward(outputs, targets) -> float`` then ``backward() -> doutputs``.
* :class:`Optimizer` -- ``step(params)`` updates every :class:`Param` in place.
* :class:`Dataset` -- ``load(...) -> Data``.

Every component computes through ``self.ops``: the :class:`~nnplug.backend.Backend` of
the model it belongs to (set by ``Sequential``/``Solver``), else the backend of the
current context (:func:`nnplug.use_backend`), else the NumPy reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nnplug.backend import Backend, context_backend, reference_backend

if TYPE_CHECKING:
    from nnplug.kernels import ActivationKernels, LayerKernels, LossKernels, OptimizerKernels


class Component:
    """Common to every component: a ``name``, the options it was made with, its backend."""

    name: ClassVar[str] = ""
    #: the option a bare positional spec value sets (``linear:512`` -> ``units=512``)
    positional: ClassVar[str | None] = None
    #: options that build a small example for ``nnplug gradcheck`` / ``nnplug.testing``
    #: (``None``: ``{"units": 3}`` when ``positional == "units"``, else no options)
    example_options: ClassVar[dict[str, Any] | None] = None
    #: the name this instance was created under (``core/relu`` when qualified); set by
    #: :func:`nnplug.registry.resolve.make_component`, ``None`` for instances made directly
    spec_name: str | None = None
    _backend: Backend | None = None

    def __init__(self, **options: Any):
        if options:
            bad = ", ".join(sorted(options))
            raise TypeError(f"unexpected option(s) {bad}")

    def options(self) -> dict[str, Any]:
        """The keyword options that rebuild this component (saved in model files)."""
        return {}

    @property
    def ops(self) -> Backend:
        """The backend this component computes on."""
        if self._backend is not None:
            return self._backend
        backend = context_backend()
        return backend if backend is not None else reference_backend()

    @ops.setter
    def ops(self, backend: Backend | None) -> None:
        self._backend = backend

    def kernel_scalars(self) -> tuple[float, ...]:
        """The float hyper-parameters the compiled kernels get as ``scalars``."""
        return ()


def example_options(cls: type) -> dict[str, Any]:
    """Options that build a small example of ``cls``: its ``example_options`` class
    attribute if set, else ``{"units": 3}`` for a ``units`` positional, else ``{}``."""
    given = getattr(cls, "example_options", None)
    if given is not None:
        return dict(given)
    return {"units": 3} if getattr(cls, "positional", None) == "units" else {}


class Layer(Component):
    """A differentiable block: ``y = f(x; params)`` with a hand-written backward."""

    #: for activation layers: which initialisation the *preceding* Linear should use
    #: ("he" for ReLU-like, "xavier" for sigmoid/tanh). ``None``: no preference.
    init_scheme: ClassVar[str | None] = None
    #: True for layers that change nothing about the init decision (normalisation, dropout)
    transparent_for_init: ClassVar[bool] = False
    #: a promise that this layer computes exactly the built-in activation of that name
    #: ("relu", "sigmoid", "tanh"), so a fusing layer before it may apply it itself
    activation_kind: ClassVar[str | None] = None
    #: True if ``forward_fused``/``backward_fused`` apply a following built-in activation
    fuses_activation: ClassVar[bool] = False
    #: compiled kernels (:class:`nnplug.kernels.LayerKernels`); ``None``: per op only
    kernels: ClassVar[LayerKernels | None] = None
    #: an element-wise activation's scalar functions
    #: (:class:`nnplug.kernels.ActivationKernels`): the compiled path fuses the layer into a
    #: preceding ``linear``/``batchnorm``; ``None``: not fusable
    elementwise: ClassVar[ActivationKernels | None] = None

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        #: names in ``params`` that receive L2 weight decay (weights, not biases)
        self.decay: set[str] = set()
        self.training = True
        #: the model's training-step index, set by ``Sequential`` before each training
        #: forward (the seed of anything random, e.g. dropout masks)
        self.step = 0
        self.in_features: int | None = None
        self.out_features: int | None = None

    def build(
        self,
        in_features: int,
        *,
        rng: np.random.Generator,
        dtype: Any = np.float32,
        init: str | None = None,
    ) -> int:
        """Create parameters for ``in_features`` inputs; return the output width.

        ``init`` is the scheme the model chose for this layer ("he"/"xavier"),
        from the activation that follows it.
        """
        self.in_features = self.out_features = int(in_features)
        return self.out_features

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """d loss / d input from d loss / d output; fills ``grads`` in place."""
        raise NotImplementedError

    def forward_fused(self, x: np.ndarray, act: str | None) -> np.ndarray:
        """``act(self.forward(x))`` in one pass (only if ``fuses_activation``)."""
        raise NotImplementedError

    def backward_fused(
        self, dy: np.ndarray, act: str | None, need_dx: bool = True
    ) -> np.ndarray | None:
        """The backward of :meth:`forward_fused`; ``need_dx=False`` may skip d/d input."""
        raise NotImplementedError

    def kernel_work(self) -> dict[str, tuple[int, ...]]:
        """Shapes of the scratch arrays the kernels declare in ``work``; a first dimension
        of -1 stands for the batch rows (``{"mask": (-1, width)}``)."""
        return {}

    def train(self, mode: bool = True) -> Layer:
        self.training = mode
        return self

    def eval(self) -> Layer:
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
    #: compiled kernel (:class:`nnplug.kernels.LossKernels`); ``None``: per op only
    kernels: ClassVar[LossKernels | None] = None

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        """Map raw network outputs to what a user wants (probabilities, values)."""
        return outputs


class Workspace:
    """Named scratch arrays a layer reuses from one training step to the next.

    ``get(name, shape, dtype)`` returns the same array while shape and dtype match, so
    the steady state allocates nothing (large temporaries would otherwise be mmapped and
    page-faulted on every step). An array handed out is valid until the next ``get`` of
    the same name.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        a = self._arrays.get(name)
        if a is None or a.shape != tuple(shape) or a.dtype != dtype:
            a = self._arrays[name] = np.empty(shape, dtype)
        return a


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
    #: the weight decay ``nnplug train`` uses when ``--weight-decay`` is not given, per
    #: task; ``None``: nnplug's default L2 (``nnplug.nn.training.DEFAULT_L2``)
    default_weight_decay: ClassVar[dict[str, float] | None] = None
    #: compiled update (:class:`nnplug.kernels.OptimizerKernels`); ``None``: per op only
    kernels: ClassVar[OptimizerKernels | None] = None

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
            self.update(p, self.state_for(p))

    def state_for(self, p: Param) -> dict[str, np.ndarray]:
        """The state arrays of ``p``; the slots a compiled ``update`` declares are created
        (zeros) here, so per-op and compiled training keep the same state."""
        state = self.state.setdefault(p.key, {})
        for slot in self.kernels.slots if self.kernels is not None else ():
            if slot not in state:
                state[slot] = np.zeros_like(p.value)
        return state

    def update(self, p: Param, state: dict[str, np.ndarray]) -> None:
        """Update ``p.value`` in place (never rebind it)."""
        raise NotImplementedError

    def wd(self, p: Param) -> float:
        return self.weight_decay if p.decay else 0.0


@dataclass
class Scaling:
    """The input scaling a dataset fitted on its training split (``--scale``), kept as plain
    arrays: model files save it and ``nnplug.load(...).predict`` applies it to raw inputs.

    ``kind``: ``image`` (one global factor, :attr:`Data.scale`), ``none``, ``standard`` or
    ``minmax`` (``z = (x - mean) / std`` per feature, clipped to the training range of z,
    ``min``..``max``), ``quantile`` (each feature through its training ``quantiles`` to a
    standard normal; ``references`` are their probabilities)."""

    kind: str = "none"
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    min: np.ndarray | None = None
    max: np.ndarray | None = None
    quantiles: np.ndarray | None = None
    references: np.ndarray | None = None

    def affine(self) -> dict[str, list[float]] | None:
        """``{"mean", "std", "min", "max"}`` as lists (standard/minmax), else None."""
        if self.kind not in ("standard", "minmax") or self.mean is None or self.std is None:
            return None
        out = {"mean": self.mean, "std": self.std, "min": self.min, "max": self.max}
        return {
            k: np.asarray(v, np.float64).ravel().tolist() for k, v in out.items() if v is not None
        }


@dataclass
class Column:
    """One column of a table as a model reads it (:class:`Encoding`): a number, or a
    category one-hot encoded."""

    name: str
    #: a categorical column: the training split's categories, in the order of their
    #: one-hot columns (a value not among them, or missing, is all zeros); None: numeric
    categories: list[str] | None = None
    #: a numeric column: what a missing value becomes (the training split's median);
    #: None: a missing value is refused
    median: float | None = None
    #: cells filled with ``median`` / found outside ``categories`` in the data it was fitted
    #: for (all splits; reported in the metrics, not used to predict)
    missing: int = 0

    @property
    def width(self) -> int:
        """The network inputs this column becomes."""
        return 1 if self.categories is None else len(self.categories)


@dataclass
class Encoding:
    """How the raw columns of a table become the network's input columns, fitted on the
    training split: numeric columns as they are (missing values filled with their median,
    when ``median`` is set), categorical columns one-hot encoded (an unknown or missing
    category: all zeros, as scikit-learn's ``OneHotEncoder(handle_unknown="ignore")``).
    The input scaling (:class:`Scaling`) is fitted on the encoded columns. Model files save
    it as plain JSON (``encoding`` in the header)."""

    columns: list[Column]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def width(self) -> int:
        """The encoded width: the network's input features."""
        return sum(c.width for c in self.columns)

    @property
    def categorical(self) -> list[str]:
        return [c.name for c in self.columns if c.categories is not None]

    def record(self, counts: bool = False) -> dict[str, Any]:
        """The JSON record a model file keeps; ``counts``: with each column's ``missing``
        (what the metrics of a run record)."""
        out: list[dict[str, Any]] = []
        for c in self.columns:
            rec: dict[str, Any] = {"name": c.name}
            if c.categories is not None:
                rec["categories"] = list(c.categories)
            if c.median is not None:
                rec["median"] = float(c.median)
            if counts:
                rec["missing"] = int(c.missing)
            out.append(rec)
        return {"columns": out}


@dataclass
class Data:
    """What a dataset plugin returns: splits plus what the Solver needs to know.

    ``X_*`` may be uint8 (e.g. images); the Solver converts each minibatch to the
    compute dtype and multiplies by ``scale`` -- no float copy of the whole set.
    ``target_mean``/``target_std`` (regression, one value per target column, from the
    training split): the network learns ``(y - mean) / std`` and every metric, prediction
    and saved model maps back to the target's units. ``y_*`` stay in those units.
    ``scaling``: the input scaling the dataset fitted and applied (:class:`Scaling`);
    ``encoding``: how raw table columns became the ``X_*`` columns (:class:`Encoding`:
    missing values filled, categories one-hot encoded), None when they are the raw
    columns; ``feature_names`` then names the raw columns;
    ``meta``: anything else the dataset reports (its source, ``sha256`` of its file, ...).
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
    scaling: Scaling | None = None
    encoding: Encoding | None = None

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

    def load(
        self, *, seed: int = 0, val_fraction: float = 0.1, data_dir: str | None = None
    ) -> Data:
        raise NotImplementedError

    def location(self, data_dir: str | None = None) -> str:
        """Where its files live ("embedded" when shipped with a package)."""
        return "embedded"

    def is_cached(self, data_dir: str | None = None) -> bool:
        return True

    def fetch(self, data_dir: str | None = None, progress: Any = None) -> Any:
        """Download the files ahead of time (datasets with files override this)."""
        return None

    def rows(self, *, features: list[str] | None = None, data_dir: str | None = None) -> Any:
        """Every row of the data, raw -- ``(X, y)``: the feature columns as its files hold
        them (``features``: these columns, by name) and the targets as labels or numbers,
        what :meth:`nnplug.files.model.Model.evaluate` takes -- so that ``nnplug evaluate``
        can score a saved model on data it was not trained on, whole. ``None`` (the
        default): the dataset offers no such view."""
        return None


__all__ = [
    "Column",
    "Component",
    "Data",
    "Dataset",
    "Encoding",
    "Layer",
    "Loss",
    "Optimizer",
    "Param",
    "Scaling",
    "Workspace",
    "example_options",
]
