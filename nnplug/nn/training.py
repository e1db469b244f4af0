"""``train(config)``: the Python API behind ``nnplug train`` (dataset -> model -> Solver)."""

from __future__ import annotations

import inspect
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from nnplug.base import Data, Optimizer
from nnplug.errors import NNPlugError, SpecError, TrainingDiverged
from nnplug.nn.schedules import SCHEDULES, Schedule
from nnplug.nn.sequential import Sequential
from nnplug.nn.solver import Solver
from nnplug.registry.registry import get_registry
from nnplug.registry.resolve import make_component
from nnplug.runtime.backends import AUTO, auto_backend
from nnplug.spec import parse_spec, parse_token

# Defaults chosen on validation data across seeds (README: "Defaults and their evidence").
# What the kernel adds is named by qualified name (``PLUGIN/NAME``): a third-party plugin
# that registers its own ``relu`` or ``mse`` cannot break or change a zero-option run.
#: the recipe a run's unset options come from: its task, and for classification whether the
#: inputs are images (see :func:`recipe_of`); tabular classification trains best on the
#: regression network and optimizer (validation accuracy, README)
RECIPES = ("classification", "tabular classification", "regression")
_PLAIN3 = "core/linear,core/relu,core/linear,core/relu,core/linear,core/relu"
#: the hidden stack by recipe when --layers is not given
DEFAULT_LAYERS = {
    "classification": "core/linear,core/batchnorm,core/relu,core/dropout:p=0.3,"
    "core/linear,core/batchnorm,core/relu,core/dropout:p=0.3",
    "tabular classification": _PLAIN3,
    "regression": _PLAIN3,
}
#: width of each ``linear`` without one (--hidden): wider for larger image sets
DEFAULT_HIDDEN, WIDE_HIDDEN, WIDE_FROM_ROWS = 256, 512, 5000
#: the optimizer by recipe when --optimizer is not given
DEFAULT_OPTIMIZER = {
    "classification": "core/momentum",
    "tabular classification": "core/adamw",
    "regression": "core/adamw",
}
#: (lr, weight decay) a recipe gives its own optimizer where they differ from that
#: optimizer's defaults for the task (adamw's for classification are 1e-3 and 0.01)
RECIPE_LR_WD = {"tabular classification": (5e-3, 0.1)}
DEFAULT_DATASET = "datasets/digits"
#: the loss for each task when ``--loss`` is not given
DEFAULT_LOSSES = {"classification": "core/softmax_ce", "regression": "core/mse"}
DEFAULT_SCHEDULE = "cosine"
#: weight decay of an optimizer that sets no ``default_weight_decay`` (L2, as before)
DEFAULT_L2 = 1e-4


@dataclass
class TrainConfig:
    """Every option of ``nnplug train``; the defaults are the CLI's defaults."""

    dataset: str = DEFAULT_DATASET
    layers: str | None = None  # None: DEFAULT_LAYERS[recipe_of(data)]
    hidden: int | None = None  # None: default_hidden(recipe, training rows)
    loss: str | None = None
    optimizer: str | None = None  # None: DEFAULT_OPTIMIZER[recipe_of(data)]
    lr: float | None = None  # None: the optimizer's default_lr for the task
    momentum: float = 0.9
    #: None: the optimizer's default_weight_decay for the task, else DEFAULT_L2
    weight_decay: float | None = None
    #: lr schedule (nnplug.nn.schedules); None: "exp" when lr_decay is given, else "cosine"
    schedule: str | None = None
    #: fraction of all steps spent warming the lr up (None: the schedule's own default)
    warmup: float | None = None
    lr_decay: float | None = None  # the "exp" schedule's factor per epoch (default 0.95)
    #: regression: train on (y - mean) / std of the training targets, report in y's units
    scale_target: bool = True
    epochs: int = 30
    batch_size: int = 32
    seed: int = 42
    #: a backend name, or "auto": numba for runs long enough to repay its start-up
    backend: str = AUTO
    dtype: str = "float32"
    patience: int | None = None
    val_fraction: float = 0.1
    data_dir: str | None = None
    #: BLAS threads (None: one below a measured GEMM size, else every core; or
    #: $NNPLUG_THREADS)
    threads: int | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """One-line errors for option values -- their types too, as a checkpoint's
        configuration is read from a file -- before anything is loaded or allocated."""
        import math

        from nnplug.safeio.limits import check_bytes, network_bytes
        from nnplug.safeio.text import one_line as printable

        kinds: dict[str, tuple[type | tuple[type, ...], str]] = {
            "int": (int, "an integer"),
            "float": ((int, float), "a finite number"),
            "str": (str, "a word"),
            "dict": (dict, "a record"),
        }
        for f in fields(self):  # the annotation says the type: "int", "float | None", ...
            value, words = getattr(self, f.name), str(f.type).replace(" ", "").split("|")
            kind = kinds.get(words[0].split("[")[0])
            if kind is None or (value is None and "None" in words):
                continue
            if (
                not isinstance(value, kind[0])
                or isinstance(value, bool)
                or (isinstance(value, float) and not math.isfinite(value))
            ):
                raise NNPlugError(
                    f"--{f.name.replace('_', '-')} must be {kind[1]}, got "
                    f"{printable(repr(value), 40)}"
                )
        checks = [
            (self.hidden is None or self.hidden >= 1, "--hidden must be >= 1"),
            (self.lr is None or self.lr > 0, "--lr must be > 0"),
            (0 <= self.momentum < 1, "--momentum must be in [0, 1)"),
            (self.weight_decay is None or self.weight_decay >= 0, "--weight-decay must be >= 0"),
            (self.lr_decay is None or 0 < self.lr_decay <= 1, "--lr-decay must be in (0, 1]"),
            (
                self.schedule is None or self.schedule in SCHEDULES,
                f"--schedule must be one of {', '.join(SCHEDULES)}",
            ),
            (
                self.lr_decay is None or self.schedule in (None, "exp"),
                "--lr-decay sets the exp schedule's decay; it does not apply to "
                f"--schedule {self.schedule}",
            ),
            (self.warmup is None or 0 <= self.warmup < 1, "--warmup must be in [0, 1)"),
            (self.epochs >= 1, "--epochs must be >= 1"),
            (self.batch_size >= 2, "--batch-size must be >= 2"),
            (self.patience is None or self.patience >= 1, "--patience must be >= 1"),
            (self.threads is None or self.threads >= 1, "--threads must be >= 1"),
            (0 <= self.seed < 2**32, "--seed must be in 0..4294967295"),
            (
                0 <= self.val_fraction <= 0.9,
                "--val-fraction must be in [0, 0.9] (at least a "
                "tenth of the training split is trained on)",
            ),
            (self.dtype in ("float32", "float64"), "--dtype must be float32 or float64"),
        ]
        for ok, message in checks:
            if not ok:
                raise NNPlugError(message)
        hidden = self.hidden or WIDE_HIDDEN  # unset: at most the wider default
        widths = [hidden]
        try:  # the widths of the spec (linear:N or --hidden); a bad spec is build()'s to report
            registry = get_registry()
            widths = [
                int(item.positional or item.options.get("units") or hidden)
                for item in parse_spec(self.layers or DEFAULT_LAYERS["classification"])
                if getattr(registry.get("layer", item.name).cls, "positional", None) == "units"
            ] or widths
        except (NNPlugError, TypeError, ValueError):
            pass
        itemsize = 8 if self.dtype == "float64" else 4
        check_bytes(
            network_bytes(1, widths, itemsize, self.batch_size),
            f"a network with layers {', '.join(map(str, widths))} units wide (--layers, --hidden)",
        )


def make_optimizer(
    name: str,
    *,
    lr: float | None,
    momentum: float,
    weight_decay: float | None,
    task: str = "classification",
    registry: Any = None,
) -> Optimizer:
    """Create optimizer ``name``, passing ``momentum`` only to those that take it.

    ``lr=None`` picks the optimizer's ``default_lr`` for ``task``, else its own default;
    ``weight_decay=None`` its ``default_weight_decay`` for ``task``, else ``DEFAULT_L2``.
    """
    spec = parse_token(name)
    registry = registry or get_registry()
    cls = registry.get("optimizer", spec.name).cls
    if weight_decay is None:
        weight_decay = (cls.default_weight_decay or {}).get(task, DEFAULT_L2)
    defaults: dict[str, Any] = {"weight_decay": weight_decay}
    if lr is None and cls.default_lr:
        lr = cls.default_lr.get(task)
    if lr is not None:
        defaults["lr"] = lr
    if "momentum" in inspect.signature(cls.__init__).parameters:
        defaults["momentum"] = momentum
    optimizer: Optimizer = make_component("optimizer", spec, registry, **defaults)
    return optimizer


def make_schedule(config: TrainConfig) -> Schedule:
    """The learning-rate schedule ``config`` asks for (resolving ``schedule=None``)."""
    name = config.schedule or ("exp" if config.lr_decay is not None else DEFAULT_SCHEDULE)
    decay = config.lr_decay if config.lr_decay is not None else 0.95
    return Schedule(name, warmup=config.warmup, decay=decay)


def standardise_targets(data: Data) -> None:
    """Set ``data.target_mean``/``target_std`` from the training targets (std 0 -> 1)."""
    y = np.asarray(data.y_train, np.float64).reshape(len(data.y_train), -1)
    mean, std = y.mean(axis=0), y.std(axis=0)
    data.target_mean, data.target_std = mean, np.where(std > 0, std, 1.0)


def recipe_of(data: Any) -> str:
    """``"regression"``, or for classification ``"classification"`` when the inputs are
    images -- the dataset scaled them as images (``meta["input_scaling"] == "image"``: uint8
    pixels, or values within [0, 1] / [0, 255] across many columns, see ``--scale auto``),
    or they are uint8 -- else ``"tabular classification"``."""
    if data.task != "classification":
        return "regression"
    kind = (data.meta or {}).get("input_scaling")
    image = kind == "image" if kind is not None else np.asarray(data.X_train).dtype == np.uint8
    return "classification" if image else "tabular classification"


def default_hidden(recipe: str, n_train: int) -> int:
    """``WIDE_HIDDEN`` for image classification with at least ``WIDE_FROM_ROWS`` training
    rows, else ``DEFAULT_HIDDEN``."""
    wide = recipe == "classification" and n_train >= WIDE_FROM_ROWS
    return WIDE_HIDDEN if wide else DEFAULT_HIDDEN


def build(
    config: TrainConfig, data: Any = None, network: Sequential | None = None
) -> tuple[Any, Sequential, Any, Any]:
    """Build ``(data, model, loss, optimizer)`` for ``config``: the dataset plugin's data,
    or ``data`` given in its place (e.g. :func:`nnplug.data.arrays.array_data`); a new network,
    or ``network`` to train further (its input and output widths must fit the data).
    Options left unset are resolved by task and size and recorded in ``config``."""
    config.validate()
    registry = get_registry()
    if data is None:
        dataset = make_component(
            "dataset", parse_token(config.dataset), registry, **config.dataset_options
        )
        data = dataset.load(
            seed=config.seed, val_fraction=config.val_fraction, data_dir=config.data_dir
        )
    if (
        data.task == "regression"
        and config.scale_target
        and len(data.y_train)
        and data.target_std is None
    ):  # given data may carry its statistics already
        standardise_targets(data)
    loss_name = config.loss or DEFAULT_LOSSES[data.task]
    loss = make_component("loss", parse_token(loss_name), registry)
    if loss.task != data.task:
        raise SpecError(
            f"loss '{loss_name}' is for {loss.task} but dataset '{config.dataset}' is {data.task}"
        )
    # unset options resolved by task, input kind and size, and recorded (metrics, checkpoints)
    recipe = recipe_of(data)
    config.layers = config.layers or DEFAULT_LAYERS[recipe]
    config.hidden = config.hidden or default_hidden(recipe, len(data.X_train))
    if config.optimizer is None:
        config.optimizer = DEFAULT_OPTIMIZER[recipe]
        lr, weight_decay = RECIPE_LR_WD.get(recipe, (None, None))
        config.lr = config.lr if config.lr is not None else lr
        if config.weight_decay is None:
            config.weight_decay = weight_decay
    backend = resolve_backend(config, data)[0]
    if network is None:
        model = Sequential.from_spec(
            config.layers,
            data.n_features,
            data.n_outputs,
            hidden=config.hidden,
            rng=np.random.default_rng(config.seed),
            dtype=config.dtype,
            registry=registry,
            backend=backend,
        )
    elif (network.in_features, network.out_features) != (data.n_features, data.n_outputs):
        raise NNPlugError(
            f"the network maps {network.in_features} inputs to "
            f"{network.out_features} outputs; the data has {data.n_features} "
            f"features and {data.n_outputs} outputs"
        )
    else:
        model = network.to(backend)
    model.input_grad = False  # training never reads d loss / d input: skip that GEMM
    model.threads = config.threads
    optimizer = make_optimizer(
        config.optimizer,
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
        task=data.task,
    )
    # record the resolved defaults (metrics, checkpoints)
    config.lr, config.weight_decay = optimizer.lr, optimizer.weight_decay
    return data, model, loss, optimizer


def resolve_backend(config: TrainConfig, data: Any) -> tuple[str, str | None]:
    """The backend a run uses: ``config.backend``, or for ``auto`` the choice of
    :func:`nnplug.runtime.backends.auto_backend` from the run's number of training steps, with the
    reason in one line (None when the user named the backend)."""
    if config.backend != AUTO:
        return config.backend, None
    steps = -(-len(data.X_train) // config.batch_size) * config.epochs
    return auto_backend(steps)


@dataclass
class TrainRun:
    """What :func:`train` returns: the JSON-ready ``metrics`` and the live objects."""

    metrics: dict[str, Any]
    model: Sequential
    loss: Any
    data: Any
    solver: Solver


def train(
    config: TrainConfig,
    callbacks: list[Any] | None = None,
    *,
    resume: Any = None,
    data: Any = None,
    network: Sequential | None = None,
) -> TrainRun:
    """Train per ``config``; ``.metrics`` is what ``--metrics-out`` holds.

    ``resume``: a :class:`nnplug.files.checkpoint.Checkpoint` to continue from. ``data``: train
    on this :class:`~nnplug.base.Data` instead of loading ``config.dataset`` (arrays in
    memory: :func:`nnplug.data.arrays.array_data`); ``network``: train this network further
    (a warm start: new optimizer and schedule, the weights and buffers as they are). If the
    loss diverges, the :class:`TrainingDiverged` raised carries ``.run`` (best model
    restored).
    """
    config.validate()
    diverged = None
    data, model, loss, optimizer = build(config, data, network)
    backend, backend_choice = model.backend, resolve_backend(config, data)[1]
    schedule = make_schedule(config)
    config.schedule = schedule.name  # record the resolved default
    solver = Solver(
        model,
        loss,
        optimizer,
        epochs=config.epochs,
        batch_size=config.batch_size,
        patience=config.patience,
        seed=config.seed,
        callbacks=callbacks,
        schedule=schedule,
    )
    if resume is not None:
        resume.apply(solver)
    try:
        # overflow on the way to a non-finite loss is reported once, by the Solver's
        # TrainingDiverged, not as a page of NumPy RuntimeWarnings first
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = solver.fit(data)
    except TrainingDiverged as exc:
        diverged, result = exc, exc.result  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged run's best epoch
        # the prediction path of the saved model (float64): the figure `nnplug evaluate` shows
        test_metric = solver.evaluate(data.X_test, data.y_test, data.scale, exact=True)
    eval_seconds = time.perf_counter() - t0
    metrics: dict[str, Any] = {
        "dataset": config.dataset.split("/")[-1],
        "task": data.task,
        "backend": backend.name,
        "backend_choice": backend_choice,
        "model": model.describe(),
        "n_params": model.n_params(),
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "train_seconds": round(result.train_seconds, 4),
        "compile_seconds": round(result.compile_seconds, 4),
        "training_path": result.path,
        "blas_threads": result.blas_threads,
        "not_compiled": solver.not_compiled,
        "samples_per_second": round(result.samples_per_second, 1),
        "eval_seconds": round(eval_seconds, 4),
        "metric": solver.metric_name,
        "best_val_metric": result.best_val_metric,
        "history": [r.as_dict() for r in result.history],
        "config": asdict(config),
        "interrupted": result.interrupted,
        "diverged": result.diverged,
    }
    metrics["test_accuracy" if data.task == "classification" else "test_rmse"] = test_metric
    run = TrainRun(metrics, model, loss, data, solver)
    if diverged is not None:
        diverged.run = run  # type: ignore[attr-defined]
        raise diverged
    return run
