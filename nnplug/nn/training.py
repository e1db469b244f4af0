"""``train(config)``: the Python API behind ``nnplug train`` (dataset -> model -> Solver)."""

from __future__ import annotations

import inspect
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nnplug.base import Optimizer
from nnplug.errors import NNPlugError, PluginRuntimeError, SpecError, TrainingDiverged
from nnplug.nn import memory
from nnplug.nn.config import TrainConfig
from nnplug.nn.memory import LayerShape
from nnplug.nn.recipes import DEFAULT_L2, DEFAULT_LAYERS, DEFAULT_LR_DECAY
from nnplug.nn.resolve import resolve
from nnplug.nn.schedules import Schedule
from nnplug.nn.sequential import Sequential
from nnplug.nn.solver import Solver
from nnplug.nn.targets import standardise_targets
from nnplug.registry.registry import Registry, get_registry
from nnplug.registry.resolve import make_component
from nnplug.spec import parse_token

#: what this module re-exports of the option table and the recipes (its public API)
__all__ = [
    "DEFAULT_L2",
    "DEFAULT_LAYERS",
    "TrainConfig",
    "TrainRun",
    "build",
    "check_run_memory",
    "make_optimizer",
    "make_schedule",
    "standardise_targets",
    "train",
]


def make_optimizer(config: TrainConfig, registry: Registry | None = None) -> Optimizer:
    """The optimizer of a resolved ``config`` (:func:`~nnplug.nn.recipes.resolve`), with
    ``momentum`` passed only to those that take it."""
    assert config.optimizer is not None and config.lr is not None  # resolved
    spec = parse_token(config.optimizer)
    registry = registry or get_registry()
    cls = registry.get("optimizer", spec.name).cls
    defaults: dict[str, Any] = {"lr": config.lr, "weight_decay": config.weight_decay}
    if "momentum" in inspect.signature(cls.__init__).parameters:
        defaults["momentum"] = config.momentum
    optimizer: Optimizer = make_component("optimizer", spec, registry, **defaults)
    return optimizer


def make_schedule(config: TrainConfig) -> Schedule:
    """The learning-rate schedule of a resolved ``config``."""
    assert config.schedule is not None  # resolved
    decay = config.lr_decay if config.lr_decay is not None else DEFAULT_LR_DECAY
    return Schedule(config.schedule, warmup=config.warmup, decay=decay)


def check_run_memory(
    config: TrainConfig,
    data: Any,
    shapes: list[LayerShape],
    backend: str,
    registry: Registry,
    resume: bool = False,
) -> None:
    """The whole run's memory (:mod:`nnplug.nn.memory`) against ``NNPLUG_MAX_BYTES``."""
    from nnplug.runtime.backends import compiles

    assert config.optimizer is not None  # resolved
    optimizer = registry.get("optimizer", parse_token(config.optimizer).name).cls
    est = memory.estimate(
        shapes,
        itemsize=np.dtype(config.dtype).itemsize,
        batch=config.batch_size,
        slots=memory.optimizer_slots(optimizer),
        compiled=compiles(registry.get("backend", backend).cls),
        eval_rows=max(len(data.X_val), len(data.X_test)),
        train_rows=len(data.X_train),
        resume=resume,
    )
    memory.check(est, f"training this network on {data.n_features} features")


def build(
    config: TrainConfig,
    data: Any = None,
    network: Sequential | None = None,
    *,
    resume: bool = False,
) -> tuple[Any, Sequential, Any, Any]:
    """Build ``(data, model, loss, optimizer)`` for ``config``: the dataset plugin's data,
    or ``data`` given in its place (e.g. :func:`nnplug.data.arrays.array_data`); a new network,
    or ``network`` to train further (its input and output widths must fit the data).
    Options left unset are resolved by task and size and recorded in ``config``
    (:func:`~nnplug.nn.recipes.resolve`, the one place that happens). The run's memory is
    judged before the network is built and again once it is (``resume``: a checkpoint's
    state will be restored into it)."""
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
    backend, _ = resolve(config, data, registry)  # every unset option, once
    assert config.loss is not None and config.layers is not None  # resolved
    assert config.hidden is not None and config.epochs is not None
    loss = make_component("loss", parse_token(config.loss), registry)
    if loss.task != data.task:
        raise SpecError(
            f"loss '{config.loss}' is for {loss.task} but dataset '{config.dataset}' is {data.task}"
        )
    shapes = (
        memory.spec_shapes(config.layers, data.n_features, data.n_outputs, config.hidden, registry)
        if network is None
        else memory.model_shapes(network)
    )
    check_run_memory(config, data, shapes, backend, registry, resume)
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
    if network is None:  # its plugin layers' own arrays are known now
        check_run_memory(config, data, memory.model_shapes(model), backend, registry, resume)
    model.input_grad = False  # training never reads d loss / d input: skip that GEMM
    model.threads = config.threads
    optimizer = make_optimizer(config, registry)
    return data, model, loss, optimizer


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
    loss diverges, or a plugin's component fails once training has started, the
    :class:`TrainingDiverged` or :class:`~nnplug.errors.PluginRuntimeError` raised carries
    ``.run`` (the best model so far restored, the metrics so far).
    """
    config.validate()
    stopped: NNPlugError | None = None
    data, model, loss, optimizer = build(config, data, network, resume=resume is not None)
    # build() resolved config; asked again, resolve() only says why --backend auto chose
    backend, backend_choice = model.backend, resolve(config, data)[1]
    assert config.epochs is not None  # resolved
    schedule = make_schedule(config)
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
        require_compiled=config.require_compiled,
    )
    if resume is not None:
        resume.apply(solver)
    try:
        # overflow on the way to a non-finite loss is reported once, by the Solver's
        # TrainingDiverged, not as a page of NumPy RuntimeWarnings first
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = solver.fit(data)
    except (TrainingDiverged, PluginRuntimeError) as exc:
        if getattr(exc, "result", None) is None:  # before any training: nothing to keep
            raise
        stopped, result = exc, solver.state.result
    t0 = time.perf_counter()
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged run's best epoch
            # the prediction path of the saved model (float64): what `nnplug evaluate` shows
            test_metric = solver.evaluate(data.X_test, data.y_test, data.scale, exact=True)
    except PluginRuntimeError:
        if stopped is None:
            raise
        test_metric = float("nan")  # the plugin that stopped training fails here too
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
        "error": result.error,
    }
    metrics["test_accuracy" if data.task == "classification" else "test_rmse"] = test_metric
    if isinstance(stopped, PluginRuntimeError):
        metrics["error"] = str(stopped)
    if getattr(data, "encoding", None) is not None:  # gaps filled, categories one-hot encoded
        metrics["encoding"] = data.encoding.record(counts=True)
    run = TrainRun(metrics, model, loss, data, solver)
    if stopped is not None:
        stopped.run = run  # type: ignore[attr-defined]
        raise stopped
    return run
