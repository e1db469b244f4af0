"""The JSON header of a model file, and the arrays beside the weights, from a trained
network and the :class:`~nnplug.base.Data` it was trained on (:mod:`nnplug.files.model`
writes them; :mod:`nnplug.files.header` checks them when read)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnplug import __version__
from nnplug.base import Data, Loss
from nnplug.files.container import FORMAT_VERSION, MODEL_FORMAT, component_record
from nnplug.nn.sequential import Sequential
from nnplug.registry.registry import Registry, get_registry


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
        "training": training_record(data, extra),
        "input_scaling": data.scaling.kind if data is not None and data.scaling else None,
        "encoding": data.encoding.record() if data is not None and data.encoding else None,
    }


def training_record(data: Data | None, extra: dict[str, Any] | None) -> dict[str, Any]:
    """The header's ``training`` record: ``extra`` (dataset, options, seed, ...) and the
    SHA-256 of the file the data came from, when the dataset reports it (``nnplug
    evaluate`` tells the training data from other data by it)."""
    record = dict(extra or {})
    digest = data.meta.get("sha256") if data is not None else None
    if isinstance(digest, str):
        record.setdefault("data_sha256", digest)
    return record
