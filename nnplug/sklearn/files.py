"""A fitted :mod:`nnplug.sklearn` estimator as an nnplug model file -- and pickling through
the same arrays and header, never through pickled network objects.

The file is an ordinary model file (:mod:`nnplug.files.model`: ``nnplug predict``, ``evaluate``
and ``export`` read it) whose header holds one more record, ``estimator``: the class, the
parameters (JSON values; a ``RandomState`` is not kept), ``classes_`` with their NumPy
dtype, ``feature_names_in_`` and the history. It is data from a file: every field is
checked before use. A model file without the record (``nnplug train --save``) loads with
default parameters (its dtype aside), class names as ``classes_`` and its feature names
(a CSV's header) as ``feature_names_in_``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from nnplug.files.container import ModelFileError

RECORD = "estimator"
#: parameters that fix the network and how data maps onto it: a warm start keeps them
ARCHITECTURE = ("layers", "hidden", "loss", "dtype", "scale", "scale_target")
SCALARS = (str, int, float, bool, type(None))
#: dtypes ``classes_`` may have: bool, integers, floats, text, objects (text labels)
CLASS_KINDS = "biufUO"
#: the widest label dtype a file may ask for (text of 16384 characters)
MAX_LABEL_BYTES = 1 << 16


def _params(est: Any) -> dict[str, Any]:
    values = {k: v.item() if isinstance(v, np.generic) else v for k, v in est.get_params().items()}
    return {k: v for k, v in values.items() if isinstance(v, SCALARS)}


def record(est: Any) -> dict[str, Any]:
    """The header record of a fitted estimator."""
    rec: dict[str, Any] = {
        "class": type(est).__name__,
        "params": _params(est),
        "history": est.history_,
        "best_epoch": est.best_epoch_,
    }
    if hasattr(est, "classes_"):
        rec["classes"] = est.classes_.tolist()
        rec["classes_dtype"] = est.classes_.dtype.str
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        rec["feature_names_in"] = [str(n) for n in names]
    return rec


def save_estimator(est: Any, path: Any) -> None:
    from nnplug.files.model import Model

    model = est.model_
    Model(model.network, model.loss, dict(model.meta, **{RECORD: record(est)}), model.arrays).save(
        path
    )


def _number(value: Any) -> bool:
    return value is None or (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (not isinstance(value, float) or not math.isinf(value))
    )


def _checked(rec: Any, model: Any) -> str | None:
    """What is wrong with an estimator record read from a file, or None."""
    if not isinstance(rec, dict):
        return "not a record"
    if not isinstance(rec.get("params", {}), dict) or not all(
        isinstance(v, SCALARS) for v in rec.get("params", {}).values()
    ):
        return "params must be a record of plain values"
    history = rec.get("history", [])
    if not isinstance(history, list) or not all(
        isinstance(h, dict) and all(_number(v) for v in h.values()) and "loss" in h and "epoch" in h
        for h in history
    ):
        return "history must be a list of epoch records"
    if not isinstance(rec.get("best_epoch", 0), int) or rec.get("best_epoch", 0) < 0:
        return "best_epoch must be a count"
    names = rec.get("feature_names_in")
    if names is not None and not (
        isinstance(names, list)
        and len(names) == model.n_columns
        and all(isinstance(n, str) for n in names)
    ):
        return f"feature_names_in must be {model.n_columns} names"
    if "classes" in rec:
        classes, dtype = rec["classes"], rec.get("classes_dtype")
        if not (
            isinstance(classes, list)
            and len(classes) == model.network.out_features
            and all(isinstance(c, SCALARS) and c is not None for c in classes)
        ):
            return f"classes must be {model.network.out_features} labels"
        if not (isinstance(dtype, str) and len(dtype) <= 16):
            return "classes_dtype must be a NumPy dtype"
    return None


def _classes(rec: dict[str, Any] | None, model: Any, source: Any) -> np.ndarray:
    if rec is not None and "classes" in rec:
        try:
            dtype = np.dtype(rec["classes_dtype"])
            if dtype.kind not in CLASS_KINDS:
                raise TypeError(f"dtype {dtype} is not a label dtype")
            if dtype.itemsize > MAX_LABEL_BYTES:  # "<U999999999" would allocate gigabytes
                raise TypeError(f"dtype {dtype} is wider than {MAX_LABEL_BYTES} bytes")
            classes = np.asarray(rec["classes"], dtype=dtype)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ModelFileError(
                f"{source} has a damaged estimator record (classes: {exc})"
            ) from None
        return classes
    if model.classes:
        return np.asarray(model.classes)
    return np.arange(model.network.out_features)


def from_model(cls: Any, model: Any, source: Any) -> Any:
    """An estimator of class ``cls`` holding ``model`` (an :class:`nnplug.files.model.Model`)."""
    if model.task != cls._task:
        raise ModelFileError(f"{source} holds a {model.task} model, not one for {cls.__name__}")
    rec = model.meta.get(RECORD)
    if rec is not None:
        problem = _checked(rec, model)
        if problem:
            raise ModelFileError(f"{source} has a damaged estimator record ({problem})")
        if rec.get("class") != cls.__name__:
            raise ModelFileError(
                f"{source} holds a {str(rec.get('class'))[:40]}, not a {cls.__name__}"
            )
    est = cls()
    known = est.get_params()
    params = rec.get("params", {}) if rec is not None else {"dtype": str(model.network.dtype)}
    est.set_params(**{k: v for k, v in params.items() if k in known})
    if cls._task == "classification":
        est.classes_ = _classes(rec, model, source)
    est.n_features_in_ = model.n_columns
    names = rec.get("feature_names_in") if rec is not None else model.feature_names
    if names is not None:  # a DataFrame's columns are then checked by name, as after fit
        est.feature_names_in_ = np.asarray(names, dtype=object)
    est.history_ = list(rec.get("history", [])) if rec is not None else []
    est.loss_curve_ = [h["loss"] for h in est.history_]
    est.n_iter_ = len(est.history_)
    est.best_epoch_ = (
        int(rec.get("best_epoch", 0))
        if rec is not None
        else int((model.meta.get("training") or {}).get("best_epoch") or 0)
    )
    est.metrics_ = {}
    est.model_ = model
    est._fitted_params = {p: est.get_params()[p] for p in ARCHITECTURE if p in known}
    return est


def load_estimator(cls: Any, path: Any) -> Any:
    from nnplug.files.model import load

    model = load(path)
    model.network.to("numpy")
    return from_model(cls, model, path)


# -- pickle: the model travels as its file's header and arrays ------------------------------
def model_state(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    return copy.deepcopy(model.meta), {k: np.array(v) for k, v in model.file_arrays().items()}


def model_from_state(state: tuple[dict[str, Any], dict[str, np.ndarray]]) -> Any:
    from nnplug.files.model import model_from

    meta, arrays = state
    model = model_from(copy.deepcopy(meta), dict(arrays), "a pickled estimator")
    model.network.to("numpy")
    return model
