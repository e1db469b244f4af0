"""The network and loss a model file's header describes, rebuilt through the registry
and loaded with the file's weights (its header checked first: :mod:`nnplug.files.header`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnplug.base import Loss
from nnplug.errors import SpecError
from nnplug.files.container import ModelFileError, resolve_component
from nnplug.files.header import check_classes, check_model_header
from nnplug.nn.sequential import Sequential
from nnplug.registry.registry import Registry, get_registry
from nnplug.registry.resolve import make_component
from nnplug.spec import ComponentSpec


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
