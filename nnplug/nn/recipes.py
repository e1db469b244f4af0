"""Defaults by recipe: what a run's unset options become (applied by
:func:`nnplug.nn.resolve.resolve`).

Defaults were chosen on validation data across seeds (``docs/defaults.md``). What nnplug
adds is named by qualified name (``PLUGIN/NAME``): a third-party plugin that registers its
own ``relu`` or ``mse`` cannot break or change a zero-option run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: the recipe a run's unset options come from: its task, and for classification whether the
#: inputs are images and, if not, how many training rows there are (see :func:`recipe_of`);
#: tabular classification trains best on the regression network and optimizer, and small
#: tables on one hidden layer of it (validation accuracy, docs/defaults.md)
RECIPES = (
    "classification",
    "tabular classification",
    "small tabular classification",
    "regression",
)
_PLAIN3 = "core/linear,core/relu,core/linear,core/relu,core/linear,core/relu"
#: the hidden stack by recipe when --layers is not given
DEFAULT_LAYERS = {
    "classification": "core/linear,core/batchnorm,core/relu,core/dropout:p=0.3,"
    "core/linear,core/batchnorm,core/relu,core/dropout:p=0.3",
    "tabular classification": _PLAIN3,
    "small tabular classification": "core/linear,core/relu",
    "regression": _PLAIN3,
}
#: tabular classification with fewer training rows than this is "small"
SMALL_TABLE_ROWS = 1000
#: epochs when --epochs is not given: a small table trains longer (a few steps per epoch)
DEFAULT_EPOCHS, SMALL_TABLE_EPOCHS = 30, 200
#: a validation split of fewer rows than this is "tiny": ties on its metric go to the later
#: epoch (:func:`nnplug.nn.history.better`)
TINY_VALIDATION = 100
#: width of each ``linear`` without one (--hidden): wider for larger image sets
DEFAULT_HIDDEN, WIDE_HIDDEN, WIDE_FROM_ROWS = 256, 512, 5000
#: the optimizer by recipe when --optimizer is not given
DEFAULT_OPTIMIZER = {
    "classification": "core/momentum",
    "tabular classification": "core/adamw",
    "small tabular classification": "core/adamw",
    "regression": "core/adamw",
}
#: (lr, weight decay) a recipe gives its own optimizer where they differ from that
#: optimizer's defaults for the task (adamw's for classification are 1e-3 and 0.01)
RECIPE_LR_WD = {
    "tabular classification": (5e-3, 0.1),
    "small tabular classification": (5e-3, 0.1),
}
DEFAULT_DATASET = "datasets/digits"
#: the loss for each task when ``--loss`` is not given
DEFAULT_LOSSES = {"classification": "core/softmax_ce", "regression": "core/mse"}
DEFAULT_SCHEDULE = "cosine"
#: the exp schedule's factor per epoch when --lr-decay is not given
DEFAULT_LR_DECAY = 0.95
#: weight decay of an optimizer that sets no ``default_weight_decay`` (L2)
DEFAULT_L2 = 1e-4


def bare(spec: str) -> str:
    """A default spec as users write it (without the built-ins' ``core/`` prefix)."""
    return spec.replace("core/", "")


def recipe_of(data: Any) -> str:
    """``"regression"``, or for classification ``"classification"`` when the inputs are
    images -- the dataset scaled them as images (``data.scaling.kind == "image"``: uint8
    pixels, or values within [0, 1] / [0, 255] across many columns, see ``--scale auto``),
    or they are uint8 -- else ``"small tabular classification"`` below
    :data:`SMALL_TABLE_ROWS` training rows and ``"tabular classification"`` from there."""
    if data.task != "classification":
        return "regression"
    kind = data.scaling.kind if getattr(data, "scaling", None) is not None else None
    image = kind == "image" if kind is not None else np.asarray(data.X_train).dtype == np.uint8
    if image:
        return "classification"
    small = len(data.X_train) < SMALL_TABLE_ROWS
    return "small tabular classification" if small else "tabular classification"


def default_epochs(recipe: str) -> int:
    """:data:`SMALL_TABLE_EPOCHS` for small tabular classification, else
    :data:`DEFAULT_EPOCHS`."""
    return SMALL_TABLE_EPOCHS if recipe == "small tabular classification" else DEFAULT_EPOCHS


def default_hidden(recipe: str, n_train: int) -> int:
    """``WIDE_HIDDEN`` for image classification with at least ``WIDE_FROM_ROWS`` training
    rows, else ``DEFAULT_HIDDEN``."""
    wide = recipe == "classification" and n_train >= WIDE_FROM_ROWS
    return WIDE_HIDDEN if wide else DEFAULT_HIDDEN


__all__ = [
    "DEFAULT_DATASET",
    "DEFAULT_EPOCHS",
    "DEFAULT_HIDDEN",
    "DEFAULT_L2",
    "DEFAULT_LAYERS",
    "DEFAULT_LOSSES",
    "DEFAULT_LR_DECAY",
    "DEFAULT_OPTIMIZER",
    "DEFAULT_SCHEDULE",
    "RECIPES",
    "RECIPE_LR_WD",
    "SMALL_TABLE_EPOCHS",
    "SMALL_TABLE_ROWS",
    "TINY_VALIDATION",
    "WIDE_FROM_ROWS",
    "WIDE_HIDDEN",
    "bare",
    "default_epochs",
    "default_hidden",
    "recipe_of",
]
