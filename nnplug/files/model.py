"""A trained model you can keep and reuse: ``nnplug.load("model.npz").predict(X)``.

A model file is an ``.npz`` (see :mod:`nnplug.files.container`): the weights and buffers plus a JSON
header with the layer specs (names, options, providing plugin and version), the loss,
dtype, input width, class and feature names, the column encoding, the input scaling and the
target scaling -- read back with ``allow_pickle=False`` (the header is written by
:mod:`nnplug.files.writing`, checked by :mod:`nnplug.files.header`, the network rebuilt by
:mod:`nnplug.files.rebuild`). Inputs to :meth:`Model.predict` are raw features, as in the
dataset's files -- matched to the model's columns by name when both have names
(:mod:`nnplug.files.inputs`); the saved encoding (missing values filled with the training
median, categories one-hot encoded: :mod:`nnplug.data.encoding`) and scaling (``x * scale``
after an optional affine ``(x - mean) / std`` clipped to the training range, or a quantile
map whose quantiles are stored as arrays ``scaling/quantiles`` and ``scaling/references``)
are applied for you, and regression outputs are mapped back to the target's units
(``target_scaling``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nnplug.base import Data, Encoding, Loss
from nnplug.data.encoding import encode, encoding_from_record, number_text
from nnplug.data.scaling import affine, check_quantiles, quantile_normal
from nnplug.errors import InputError, NNPlugError
from nnplug.files import numbers
from nnplug.files.container import MODEL_FORMAT, ModelFileError, read_arrays, save_arrays
from nnplug.files.inputs import raw_rows, target_numbers
from nnplug.files.rebuild import rebuild
from nnplug.files.writing import model_header, scaling_arrays, scaling_stats
from nnplug.nn.memory import check_prediction
from nnplug.nn.metrics import accuracy, rmse
from nnplug.nn.sequential import Sequential
from nnplug.registry.registry import Registry
from nnplug.safeio.text import one_line

__all__ = [
    "Model",
    "load",
    "model_from",
    "model_header",
    "rebuild",
    "save",
    "scaling_arrays",
    "scaling_stats",
]


def save(
    path: str | os.PathLike,
    network: Sequential,
    loss: Loss,
    data: Data | None = None,
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    """Save ``network`` (weights and buffers, no optimizer state) atomically."""
    arrays = {f"state/{k}": v for k, v in network.state_arrays().items()}
    arrays.update(scaling_arrays(data))
    save_arrays(path, arrays, model_header(network, loss, data, extra=extra))


class Model:
    """A trained network with what it needs to read raw inputs and name its outputs."""

    def __init__(
        self,
        network: Sequential,
        loss: Loss,
        meta: dict[str, Any],
        arrays: dict[str, np.ndarray] | None = None,
    ):
        self.network, self.loss, self.meta = network, loss, meta
        #: ``scaling/quantiles`` and ``scaling/references`` of a quantile input scaling
        self.arrays = dict(arrays or {})
        self.task: str = meta.get("task", loss.task)
        self.classes: list[str] | None = meta.get("classes")
        #: the network's input width (one-hot columns counted one by one)
        self.in_features: int = int(meta["in_features"])
        #: how raw columns become the network's inputs (None: they are the inputs)
        self.encoding: Encoding | None = (
            encoding_from_record(meta["encoding"], self.in_features)
            if meta.get("encoding")
            else None
        )
        #: the raw columns' names (None: columns are taken by position)
        self.feature_names: list[str] | None = meta.get("feature_names")

    @property
    def n_columns(self) -> int:
        """Raw columns per input row (a categorical column counts once)."""
        return len(self.encoding.columns) if self.encoding is not None else self.in_features

    @property
    def categorical(self) -> list[int]:
        """The positions of the categorical raw columns."""
        columns = self.encoding.columns if self.encoding is not None else []
        return [j for j, c in enumerate(columns) if c.categories is not None]

    @property
    def metric_name(self) -> str:
        return "accuracy" if self.task == "classification" else "rmse"

    def input_scaling(self) -> tuple[str, dict[str, Any]] | None:
        """The saved input scaling :meth:`prepare` applies (``scale`` aside): ``("quantile",
        {"quantiles", "references"})``, ``("affine", {"mean", "std"[, "min", "max"]})``
        or ``None`` -- what an exporter reproduces."""
        if self.meta.get("input_scaling") == "quantile":
            return "quantile", {
                "quantiles": self.arrays["scaling/quantiles"],
                "references": self.arrays["scaling/references"],
            }
        stats = self.meta.get("scaling")
        return ("affine", stats) if stats else None

    def _column(self, j: int) -> str:
        """Column ``j`` as messages name it: its name (one printable line), or its number."""
        names = self.feature_names or (self.encoding.names if self.encoding else None)
        return f"'{one_line(names[j], 60)}'" if names else str(j + 1)

    def prepare(self, X: Any) -> np.ndarray:
        """Raw rows as the network's float64 inputs: their columns matched by name when
        both sides have names (else by position; :mod:`nnplug.files.inputs`), checked,
        encoded (:attr:`encoding`) and through the saved input scaling; the network
        multiplies them by ``meta["scale"]`` after converting them to its dtype."""
        X, levels = raw_rows(X, self.feature_names, self.n_columns, self.categorical)
        bad = np.argwhere(np.isinf(X) if self.encoding is not None else ~np.isfinite(X))
        if len(bad):
            raise InputError(
                f"input row {bad[0][0] + 1}, column {self._column(int(bad[0][1]))} is not a "
                f"finite number"
            )
        if self.encoding is not None:
            shown = [self._column(j) for j in range(self.n_columns)]
            X = encode(self.encoding, X, levels, "input", shown)
        elif levels:
            raise InputError(
                f"input column {self._column(min(levels))} holds text; the model reads numbers"
            )
        scaling = self.input_scaling()
        if scaling is not None and scaling[0] == "quantile":
            X = quantile_normal(X, scaling[1]["quantiles"], scaling[1]["references"])
        elif scaling is not None:  # as in training: clipped to the range the network saw
            X = affine(X, scaling[1])
        prepared: np.ndarray = X
        return prepared

    def _target_units(self, values: np.ndarray) -> np.ndarray:
        """Regression outputs of the network mapped back to the target's units."""
        values = np.asarray(values, dtype=np.float64)
        stats = self.meta.get("target_scaling")
        if stats:
            with numbers.quiet():
                values = numbers.finite(
                    values * np.asarray(stats["std"]) + np.asarray(stats["mean"])
                )
        return values

    def outputs(self, X: Any) -> np.ndarray:
        """Raw network outputs (logits or scaled targets) for raw inputs ``X``, in float64:
        a row's outputs do not depend on the other rows (``Sequential.predict_raw(...,
        exact=True)``)."""
        return self._outputs(self.prepare(X))

    def _outputs(self, prepared: np.ndarray) -> np.ndarray:
        check_prediction(self.network, len(prepared))
        with numbers.quiet():
            out = self.network.predict_raw(prepared, scale=self.meta.get("scale", 1.0), exact=True)
        return numbers.finite(out)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``p[i, k] = P(class k | x_i)`` (classifiers only)."""
        if self.task != "classification":
            raise NNPlugError("predict_proba needs a classification model")
        return np.asarray(self.loss.predict(self.outputs(X)), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Classifiers: the **index** of each row's most probable class (``0..k-1``;
        ``classes[i]`` names index ``i``, :meth:`predict_labels` gives the names).
        Regressors: the predicted values in the target's units."""
        if self.task == "classification":
            classes: np.ndarray = self.outputs(X).argmax(axis=1)
            return classes
        values = self._target_units(self.loss.predict(self.outputs(X)))
        return values[:, 0] if values.shape[1] == 1 else values

    def class_names(self) -> list[str]:
        """The classes' names: :attr:`classes`, else ``"0"``, ``"1"``, ..."""
        return list(self.classes or map(str, range(int(self.network.out_features or 0))))

    def predict_labels(self, X: Any) -> np.ndarray:
        """The name of each row's most probable class (``classes[predict(X)]``), as
        ``nnplug predict``'s ``class`` column (classifiers only)."""
        if self.task != "classification":
            raise NNPlugError("predict_labels needs a classification model; use predict")
        labels: np.ndarray = np.asarray(self.class_names())[self.predict(X)]
        return labels

    def class_indices(self, y: Any) -> np.ndarray:
        """Labels as class indices: the class names the model reports in :attr:`classes`
        (numbers stand for their text: ``3`` for class ``"3"``), or -- when not every label
        is a name -- indices ``0..k-1``. Anything else is an :class:`InputError`."""
        y = np.asarray(y)
        if y.ndim != 1:
            raise InputError(f"labels must be one per row (1-d), got shape {y.shape}")
        names, k = self.class_names(), int(self.network.out_features or 0)
        index = {name: i for i, name in enumerate(names)}
        values = y.tolist()
        texts = [
            v.strip() if isinstance(v, str) else number_text(v) if _real(v) else None
            for v in values
        ]
        found = [index.get(t) if t is not None else None for t in texts]
        if all(i is not None for i in found):
            return np.asarray(found, np.int64)
        for row, v in enumerate(values):
            if not (_real(v) and float(v).is_integer() and 0 <= float(v) < k):
                shown = one_line(", ".join(names), 120)
                raise InputError(
                    f"label {one_line(repr(v), 40)} (row {row + 1}) is neither one of the "
                    f"model's classes ({shown}) nor a class index 0..{k - 1}"
                )
        return np.asarray(values, np.float64).astype(np.int64)

    def evaluate(self, X: Any, y: Any) -> float:
        """Accuracy (classifiers: ``y`` holds class names, or class indices) or RMSE
        (regressors) on raw inputs ``X``."""
        prepared = self.prepare(X)
        y = np.asarray(y)
        if len(y) != len(prepared):
            raise InputError(f"{len(prepared)} inputs but {len(y)} targets")
        if self.task == "classification":
            return accuracy(self._outputs(prepared), self.class_indices(y))
        targets = y.astype(np.float64) if y.dtype.kind in "biuf" else target_numbers(y)
        if not np.isfinite(targets).all():
            row = int(np.flatnonzero(~np.isfinite(targets.reshape(len(targets), -1)))[0]) + 1
            raise InputError(f"target of row {row} is not a finite number")
        values = self._target_units(self.loss.predict(self._outputs(prepared)))
        return rmse(values.reshape(len(targets), -1), targets)

    def evaluate_data(self, data: Data, split: str = "test") -> float:
        """The metric on a dataset split, with the dataset's own scaling (as in training)."""
        X, y = getattr(data, f"X_{split}"), getattr(data, f"y_{split}")
        if data.n_features != self.in_features:
            raise NNPlugError(
                f"the model expects {self.in_features} features, the dataset has {data.n_features}"
            )
        if data.task != self.task:
            raise NNPlugError(f"the model is for {self.task}, the dataset is {data.task}")
        check_prediction(self.network, len(X))
        with numbers.quiet():
            out = numbers.finite(self.network.predict_raw(X, scale=data.scale, exact=True))
        if self.task == "classification":
            if len(y) and int(np.max(y)) >= out.shape[1]:
                raise NNPlugError(
                    f"the dataset has labels up to {int(np.max(y))}, the model "
                    f"knows {out.shape[1]} classes"
                )
            return accuracy(out, y)
        return rmse(self._target_units(self.loss.predict(out)), y)

    @classmethod
    def trained(
        cls, network: Sequential, loss: Loss, data: Data, *, extra: dict[str, Any] | None = None
    ) -> Model:
        """The model a training run produced, holding what :func:`save` would write (header
        and scaling arrays): ``.save(path)`` then :func:`load` give the same predictions."""
        return cls(
            network, loss, model_header(network, loss, data, extra=extra), scaling_arrays(data)
        )

    def file_arrays(self) -> dict[str, np.ndarray]:
        """The arrays of this model's file: weights and buffers, and the scaling's."""
        arrays = {f"state/{k}": v for k, v in self.network.state_arrays().items()}
        return {**arrays, **self.arrays}

    def save(self, path: str | os.PathLike) -> None:
        save_arrays(path, self.file_arrays(), self.meta)

    def __repr__(self) -> str:
        return f"<nnplug.Model {self.task} {self.network.describe()}>"


def _real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def load(path: str | os.PathLike, registry: Registry | None = None) -> Model:
    """Load a model saved by ``nnplug train --save`` (no pickle involved)."""
    meta, arrays = read_arrays(path, MODEL_FORMAT)
    return model_from(meta, arrays, path, registry)


def model_from(
    meta: dict[str, Any],
    arrays: dict[str, np.ndarray],
    source: Any,
    registry: Registry | None = None,
) -> Model:
    """The :class:`Model` a header and the arrays of a model file describe (``source``
    names them in errors), checked as :func:`load` checks a file."""
    network, loss = rebuild(meta, arrays, source, registry)
    scaling = {k: v for k, v in arrays.items() if k.startswith("scaling/")}
    if meta.get("input_scaling") == "quantile":
        problem = check_quantiles(
            scaling.get("scaling/quantiles"),
            scaling.get("scaling/references"),
            int(network.in_features or 0),
        )
        if problem:
            raise ModelFileError(f"{source} has a damaged quantile scaling ({problem})")
    return Model(network, loss, meta, scaling)
