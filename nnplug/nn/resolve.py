"""The one place a run's unset options get their values: :func:`resolve` fills a
:class:`~nnplug.nn.config.TrainConfig` from the recipes (:mod:`nnplug.nn.recipes`) and the
components' own defaults, once; everything that builds the run only reads it."""

from __future__ import annotations

import inspect
from typing import Any

from nnplug.errors import SpecError
from nnplug.nn.config import TrainConfig
from nnplug.nn.recipes import (
    DEFAULT_L2,
    DEFAULT_LAYERS,
    DEFAULT_LOSSES,
    DEFAULT_OPTIMIZER,
    DEFAULT_SCHEDULE,
    RECIPE_LR_WD,
    default_epochs,
    default_hidden,
    recipe_of,
)
from nnplug.registry.registry import Registry, get_registry
from nnplug.runtime.backends import AUTO, AUTO_MIN_STEPS, auto_backend
from nnplug.spec import parse_token


def resolve_optimizer(config: TrainConfig, task: str, registry: Registry | None = None) -> None:
    """Fill ``config.lr`` and ``config.weight_decay`` for ``config.optimizer`` (which must
    be set): an ``lr=``/``weight_decay=`` in the optimizer's spec wins, else the value
    given, else the optimizer's ``default_lr``/``default_weight_decay`` for ``task``, else
    its constructor's lr and :data:`DEFAULT_L2`."""
    assert config.optimizer is not None
    registry = registry or get_registry()
    spec = parse_token(config.optimizer)
    cls = registry.get("optimizer", spec.name).cls
    for key in ("lr", "weight_decay"):  # given in the spec (adam:lr=0.01): the spec's wins
        if isinstance(spec.options.get(key), (int, float)):
            setattr(config, key, float(spec.options[key]))
    if config.weight_decay is None:
        config.weight_decay = float((cls.default_weight_decay or {}).get(task, DEFAULT_L2))
    if config.lr is None and cls.default_lr:
        config.lr = cls.default_lr.get(task)
    if config.lr is None:  # the optimizer's constructor default
        default = inspect.signature(cls.__init__).parameters.get("lr")
        if default is None or not isinstance(default.default, (int, float)):
            raise SpecError(f"optimizer '{config.optimizer}' sets no default lr: pass --lr")
        config.lr = float(default.default)


def resolve_schedule(config: TrainConfig) -> None:
    """Fill ``config.schedule``: exp when ``lr_decay`` is given, else :data:`DEFAULT_SCHEDULE`."""
    if config.schedule is None:
        config.schedule = "exp" if config.lr_decay is not None else DEFAULT_SCHEDULE


def resolve(
    config: TrainConfig, data: Any, registry: Registry | None = None
) -> tuple[str, str | None]:
    """Fill every unset option of ``config`` for ``data``, in place and once: afterwards
    ``config`` is the run's complete record (what the metrics and checkpoints keep, what a
    repeat of the run needs) and everything that builds the run only reads it.

    Resolved: ``layers``, ``hidden`` (recipe and training rows), ``epochs`` (recipe),
    ``loss`` (task),
    ``optimizer`` with its ``lr`` and ``weight_decay`` (the recipe's, else the optimizer's
    ``default_lr``/``default_weight_decay`` for the task, else its constructor's lr and
    :data:`DEFAULT_L2`), ``schedule`` (exp when ``lr_decay`` is given, else cosine).
    Returns the backend the run uses and, for ``--backend auto``, why (one line; None when
    the user named it): ``auto`` stays recorded as asked, so a resumed run decides alike."""
    registry = registry or get_registry()
    recipe = recipe_of(data)
    config.layers = config.layers or DEFAULT_LAYERS[recipe]
    config.hidden = config.hidden or default_hidden(recipe, len(data.X_train))
    config.epochs = config.epochs or default_epochs(recipe)
    config.loss = config.loss or DEFAULT_LOSSES[data.task]
    if config.optimizer is None:
        config.optimizer = DEFAULT_OPTIMIZER[recipe]
        lr, weight_decay = RECIPE_LR_WD.get(recipe, (None, None))
        config.lr = config.lr if config.lr is not None else lr
        if config.weight_decay is None:
            config.weight_decay = weight_decay
    resolve_optimizer(config, data.task, registry)
    resolve_schedule(config)
    if config.backend != AUTO:
        return config.backend, None
    steps = -(-len(data.X_train) // config.batch_size) * config.epochs
    if config.require_compiled:  # asked for: the compiling backend whatever the length
        return auto_backend(max(steps, AUTO_MIN_STEPS))
    return auto_backend(steps)


__all__ = ["resolve", "resolve_optimizer", "resolve_schedule"]
