"""A trained model you can keep and reuse: ``nnplug.load("model.npz").predict(X)``.

A model file is an ``.npz`` (see :mod:`nnplug.files.container`): the weights and buffers plus a JSON
header with the layer specs (names, options, providing plugin and version), the loss,
dtype, input width, class names, the input scaling and the target scaling -- read back
with ``allow_pickle=False``. Inputs to :meth:`Model.predict` are raw features, as in the
dataset's files; the saved scaling (``x * scale`` after an optional affine ``(x - mean) /
std`` clipped to the training range, or a quantile map whose quantiles are stored as
arrays ``scaling/quantiles`` and ``scaling/references``) is applied for you, and
regression outputs are mapped back to the target's units (``target_scaling``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nnplug import __version__
from nnplug.base import Data, Loss
from nnplug.data.scaling import affine, check_quantiles, quantile_normal
from nnplug.errors import NNPlugError, SpecError
from nnplug.files import numbers
from nnplug.files.container import (
    FORMAT_VERSION,
    MODEL_FORMAT,
    ModelFileError,
    component_record,
    read_arrays,
    resolve_component,
    save_arrays,
)
from nnplug.files.header import check_classes, check_model_header
from nnplug.nn.memory import check_prediction
from nnplug.nn.metrics import accuracy, rmse
from nnplug.nn.sequential import Sequential
from nnplug.registry.registry import Registry, get_registry
from nnplug.registry.resolve import make_component
from nnplug.spec import ComponentSpec


def scaling_stats(data: Data) -> tuple[dict | None, dict | None]:
    """The feature standardisation (``{"mean", "std", "min", "max"}``, standard/minmax) and
    the target standardisation (``{"mean", "std"}``, regression) of ``data``, as lists."""
    features = data.scaling.affine() if data.scaling is not None else None
    targets = None
    if data.target_std is not None:  # standardised by the training run
        targets = {
            "mean": np.asarray(data.target_mean, np.float64).ravel().tolist(),
            "std": np.asarray(data.target_std, np.float64).ravel().tolist(),
        }
    return features, targets


def scaling_arrays(data: Data | None) -> dict[str, np.ndarray]:
    """The fitted quantile scaling of ``data`` as model-file arrays (else nothing)."""
    scaling = data.scaling if data is not None else None
    if scaling is None or scaling.kind != "quantile" or scaling.quantiles is None:
        return {}
    return {
        "scaling/quantiles": np.asarray(scaling.quantiles, np.float64),
        "scaling/references": np.asarray(scaling.references, np.float64),
    }


def model_header(
    network: Sequential,
    loss: Loss,
    data: Data | None = None,
    *,
    extra: dict[str, Any] | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The JSON header describing ``network`` (and the data it was trained on)."""
    registry = registry or get_registry()
    layers = [component_record("layer", layer, registry) for layer in network.layers]
    loss_rec = component_record("loss", loss, registry)
    plugins = {r["dist"]: r["version"] for r in [*layers, loss_rec]}
    features, targets = scaling_stats(data) if data is not None else (None, None)
    return {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "nnplug_version": __version__,
        "task": loss.task,
        "dtype": str(network.dtype),
        "in_features": network.in_features,
        "out_features": network.out_features,
        "layers": layers,
        "loss": loss_rec,
        "plugins": plugins,
        "classes": list(data.classes) if data is not None and data.classes else None,
        "feature_names": list(data.feature_names)
        if data is not None and data.feature_names
        else None,
        "scale": float(data.scale) if data is not None else 1.0,
        "scaling": features,
        "target_scaling": targets,
        "training": dict(extra or {}),
        "input_scaling": data.scaling.kind if data is not None and data.scaling else None,
    }


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


def _vector(values: Any, width: int | None, what: str) -> list[float]:
    out = np.asarray(values, dtype=np.float64).ravel()
    if (
        (width is not None and out.size != width)
        or not np.isfinite(out).all()
        or (what.endswith(".std") and not (out > 0).all())
    ):
        raise ValueError(
            f"{what} must be {width or 'some'} finite numbers"
            f"{' > 0' if what.endswith('.std') else ''}"
        )
    numbers: list[float] = out.tolist()
    return numbers


def rebuild(
    meta: dict[str, Any],
    arrays: dict[str, np.ndarray],
    source: Any,
    registry: Registry | None = None,
) -> tuple[Sequential, Loss]:
    """Recreate the network and loss a header describes and load their state."""
    registry = registry or get_registry()
    check_model_header(meta, arrays, source)  # types, declared sizes: before any allocation
    try:
        records, loss_rec = list(meta["layers"]), dict(meta["loss"])
        in_features, dtype = int(meta["in_features"]), np.dtype(meta["dtype"])
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"unsupported dtype {dtype}")
        if meta.get("task") not in ("classification", "regression"):
            raise ValueError(f"unknown task {meta.get('task')!r}")
        meta["scale"] = float(meta.get("scale", 1.0))
        classes = meta.get("classes")
        if classes is not None and not (
            isinstance(classes, list) and all(isinstance(c, str) for c in classes)
        ):
            raise ValueError("classes must be a list of names")
        for key in ("scaling", "target_scaling"):
            stats = meta.get(key)
            if stats is not None:
                width = in_features if key == "scaling" else None
                keys = ("mean", "std", "min", "max") if "min" in stats else ("mean", "std")
                meta[key] = {k: _vector(stats[k], width, f"{key}.{k}") for k in keys}
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ModelFileError(f"{source} has a damaged header ({exc})") from None

    def make(kind: str, rec: dict[str, Any], index: int) -> Any:
        comp = resolve_component(kind, rec, registry, source)
        name = (
            comp.name
            if comp.name in registry.names(kind)
            and len([c for c in registry.components(kind) if c.name == comp.name]) == 1
            else comp.qualified_name
        )
        spec = ComponentSpec(
            name, options=dict(rec.get("options") or {}), token=comp.name, index=index
        )
        return make_component(kind, spec, registry)

    try:
        network = Sequential([make("layer", dict(rec), i) for i, rec in enumerate(records)])
        network.build(in_features, rng=0, dtype=dtype)
        network.load_state_arrays({k[6:]: v for k, v in arrays.items() if k.startswith("state/")})
        loss = make("loss", loss_rec, 0)
    except SpecError as exc:
        raise ModelFileError(f"{source} does not match its own architecture ({exc})") from None
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
        raise ModelFileError(f"{source} has a damaged header ({exc})") from None
    check_classes(meta, network.out_features, source)
    network.eval()
    return network, loss


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
        self.in_features: int = int(meta["in_features"])

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

    def prepare(self, X: Any) -> np.ndarray:
        """Raw rows as float64, checked (width, finite) and through the saved input
        scaling; the network multiplies them by ``meta["scale"]`` after converting them to
        its dtype."""
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise NNPlugError("input must be numeric") from None
        if X.ndim == 1 and X.size == self.in_features:
            X = X[None, :]
        X = X.reshape(len(X), -1) if X.ndim >= 2 else X.reshape(-1, 1)
        if X.shape[1] != self.in_features:
            raise NNPlugError(
                f"the model expects {self.in_features} features per row, the input has {X.shape[1]}"
            )
        bad = np.argwhere(~np.isfinite(X))
        if len(bad):
            raise NNPlugError(
                f"input row {bad[0][0] + 1}, column {bad[0][1] + 1} is not a finite number"
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
        X = self.prepare(X)
        check_prediction(self.network, len(X))
        with numbers.quiet():
            out = self.network.predict_raw(X, scale=self.meta.get("scale", 1.0), exact=True)
        return numbers.finite(out)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``p[i, k] = P(class k | x_i)`` (classifiers only)."""
        if self.task != "classification":
            raise NNPlugError("predict_proba needs a classification model")
        return np.asarray(self.loss.predict(self.outputs(X)), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Class indices (``classes[i]`` names them) or regression values."""
        if self.task == "classification":
            classes: np.ndarray = self.outputs(X).argmax(axis=1)
            return classes
        values = self._target_units(self.loss.predict(self.outputs(X)))
        return values[:, 0] if values.shape[1] == 1 else values

    def evaluate(self, X: Any, y: Any) -> float:
        """Accuracy (classifiers) or RMSE (regressors) on raw inputs ``X``."""
        y = np.asarray(y)
        if len(y) != len(np.asarray(X)):
            raise NNPlugError(f"{len(np.asarray(X))} inputs but {len(y)} targets")
        if self.task == "classification":
            return accuracy(self.outputs(X), y)
        return rmse(self.predict(X).reshape(len(y), -1), y)

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
