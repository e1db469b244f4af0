"""What :class:`~nnplug.sklearn.NNPlugClassifier` and ``NNPlugRegressor`` share: the
parameters (``nnplug train``'s options; ``seed`` is ``random_state``), ``fit`` on nnplug's
own training path -- :func:`nnplug.data.arrays.array_data` (seeded validation hold-out, the
``--scale`` input scaling fitted on the training rows) then :func:`nnplug.nn.training.train`
(``Sequential``, ``Solver``, the same defaults, regression targets standardised) --,
``random_state``, ``warm_start``, the fitted attributes, and saving and pickling through
nnplug's model file (:mod:`nnplug.sklearn.files`). Predictions come from the
:class:`nnplug.files.model.Model` that ``nnplug predict`` uses. This module imports scikit-learn.
"""

from __future__ import annotations

import inspect
import logging
import re
import warnings
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from nnplug.errors import NNPlugError, TrainingDiverged
from nnplug.nn.config import TrainConfig, settings
from nnplug.sklearn.files import (
    ARCHITECTURE,
    load_estimator,
    model_from_state,
    model_state,
    save_estimator,
)
from nnplug.sklearn.interrupt import interrupted

if TYPE_CHECKING:  # imported by fit: a worker that unpickles an estimator needs none of it
    from nnplug.files.model import Model

#: parameters of the estimators that are not options of nnplug train, with their defaults:
#: ``scale`` is the datasets' ``--scale``, ``random_state`` the seed (None: a fresh one)
ESTIMATOR_ONLY: dict[str, Any] = {
    "scale": "auto",
    "random_state": None,
    "warm_start": False,
    "verbose": 0,
}


def estimator_parameters(task: str) -> list[tuple[str, Any]]:
    """``(name, default)`` of every parameter of the estimator for ``task``: TrainConfig's
    fields offered to the estimators (``scale_target`` for regression only), then
    :data:`ESTIMATOR_ONLY`."""
    table = [
        (f.name, f.default)
        for f in settings(estimator=True)
        if f.name != "scale_target" or task == "regression"
    ]
    return [*table, *ESTIMATOR_ONLY.items()]


def estimator_init(task: str) -> Any:
    """The ``__init__`` of the estimator for ``task``: keyword-only parameters, each stored
    as it is given (scikit-learn's rule); its signature (what ``get_params``, ``clone`` and
    ``help()`` read) is the table's."""
    parameters = estimator_parameters(task)
    known = dict(parameters)

    def __init__(self: Any, **params: Any) -> None:
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                f"{unknown[0]!r}"
            )
        for name, default in parameters:
            setattr(self, name, params.get(name, default))

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
            for name, default in parameters
        ]
    )
    return __init__


#: input dtypes kept as they are (uint8 images stay uint8, as in nnplug's datasets)
DTYPES = [np.float64, np.float32, np.uint8]
#: what a fit sets (n_features_in_ and feature_names_in_ are scikit-learn's validate_data's)
FITTED = (
    "model_",
    "classes_",
    "history_",
    "loss_curve_",
    "n_iter_",
    "best_epoch_",
    "metrics_",
    "_fitted_params",
)


def _param_error(exc: NNPlugError) -> ValueError:
    """nnplug's one-line message with the estimator's parameter names (``--seed`` ->
    ``random_state``, ``--weight-decay`` -> ``weight_decay``, ``--no-scale-target`` ->
    ``scale_target=False``) as a ValueError."""

    def name(m: re.Match) -> str:
        flag = m.group(2).replace("-", "_")
        flag = "random_state" if flag == "seed" else flag
        return f"{flag}=False" if m.group(1) else flag

    return ValueError(re.sub(r"--(no-)?([a-z][a-z-]*)", name, str(exc)))


class NNPlugEstimator(BaseEstimator):
    """What the classifier and the regressor share; ``_task`` says which one this is."""

    _task = "classification"
    # fitted attributes (set by fit or load, never by __init__: scikit-learn's rules)
    model_: Model
    classes_: np.ndarray
    history_: list[dict[str, Any]]
    _fitted_params: dict[str, Any]

    # the parameters scikit-learn sees: the estimator column of TrainConfig's table plus
    # ESTIMATOR_ONLY (``__init__`` is made from them: :func:`estimator_init`)
    scale: str
    random_state: Any
    warm_start: bool
    verbose: int
    __init__ = estimator_init("classification")

    # -- what subclasses define ----------------------------------------------------------
    def _targets(self, y: np.ndarray, warm: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The training targets nnplug takes (class indices, or float targets), and the
        classes (a classifier's cold fit; else None)."""
        raise NotImplementedError

    def _validate(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    # -- fitting -------------------------------------------------------------------------
    def _seed(self) -> int:
        """``random_state`` as nnplug's seed: an int is used as it is (``--seed``); None
        or a ``RandomState`` draws one (a fresh seed each fit)."""
        rs = self.random_state
        generator = check_random_state(rs)  # refuses what scikit-learn refuses
        if isinstance(rs, (int, np.integer)) and not isinstance(rs, bool):
            return int(rs)
        return int(generator.randint(0, 2**32, dtype=np.int64))

    def _config(self, seed: int) -> TrainConfig:
        params = self.get_params()
        values = {f.name: params[f.name] for f in fields(TrainConfig) if f.name in params}
        values = {k: v.item() if isinstance(v, np.generic) else v for k, v in values.items()}
        return TrainConfig(dataset="arrays", seed=seed, **values)

    def fit(self, X: Any, y: Any) -> NNPlugEstimator:
        """Train on ``X``, ``y``; with ``warm_start`` and a fitted model, train that model
        ``epochs`` more epochs (new optimizer and schedule, scaling kept)."""
        from nnplug.data.arrays import array_data, rescaled_data
        from nnplug.files.model import Model
        from nnplug.nn.training import train

        warm = bool(self.warm_start) and hasattr(self, "model_")
        if warm:
            changed = [
                p
                for p in ARCHITECTURE
                if p in self._fitted_params and self.get_params().get(p) != self._fitted_params[p]
            ]
            if changed:
                raise ValueError(
                    f"warm_start keeps the fitted network: {', '.join(changed)} "
                    f"changed since the last fit (set warm_start=False)"
                )
        else:  # a cold fit that fails leaves the estimator unfitted, not half of each
            for name in FITTED:
                self.__dict__.pop(name, None)
        X, y = self._validate(X, y, reset=not warm)
        targets, classes = self._targets(y, warm)
        seed = self._seed()
        callbacks = [_printer()] if self.verbose else []
        run: Any = None
        try:
            config = self._config(seed)
            config.validate()
            if warm:
                data = rescaled_data(
                    self.model_, X, targets, seed=seed, val_fraction=config.val_fraction
                )
            else:
                names = None if classes is None else [str(c) for c in classes]
                data = array_data(
                    X,
                    targets,
                    task=self._task,
                    seed=seed,
                    val_fraction=config.val_fraction,
                    scale=self.scale,
                    classes=names,
                    feature_names=self._feature_names(),
                )
            run = train(config, callbacks, data=data, network=self.model_.network if warm else None)
        except TrainingDiverged as exc:
            run = getattr(exc, "run", None)
            if run is None or not run.metrics["best_epoch"]:
                raise _param_error(exc) from None
            warnings.warn(
                f"{exc}; kept the best model (epoch {run.metrics['best_epoch']})",
                ConvergenceWarning,
                stacklevel=2,
            )
        except NNPlugError as exc:
            raise _param_error(exc) from None
        if run.metrics["interrupted"]:  # Ctrl-C: a warning, or stop the search
            interrupted(run)
        # predictions on the reference backend, as `nnplug predict` (the loss's softmax too)
        run.loss.ops = run.model.to("numpy").backend
        if not warm:
            self.model_ = Model.trained(run.model, run.loss, run.data)
            self.history_ = []
            if classes is not None:
                self.classes_ = classes
        self._record(run, seed)
        return self

    def _feature_names(self) -> list[str] | None:
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else [str(n) for n in names]

    def _record(self, run: Any, seed: int) -> None:
        """The fitted attributes of a run; epochs are numbered across warm starts."""
        offset = len(self.history_)
        history = [dict(rec, epoch=rec["epoch"] + offset) for rec in run.metrics["history"]]
        self.history_ = [*self.history_, *history]
        self.loss_curve_ = [rec["loss"] for rec in self.history_]
        self.n_iter_ = len(self.history_)
        self.best_epoch_ = offset + run.metrics["best_epoch"]
        self.metrics_ = {
            k: v for k, v in run.metrics.items() if k != "history" and not k.startswith("test_")
        }
        self._fitted_params = {
            p: self.get_params()[p] for p in ARCHITECTURE if p in self.get_params()
        }
        self.model_.meta["training"] = {
            "seed": seed,
            "val_fraction": float(self.get_params()["val_fraction"]),
            "best_epoch": self.best_epoch_,
            "metric": run.metrics["metric"],
            "best_val_metric": run.metrics["best_val_metric"],
        }

    # -- predicting ----------------------------------------------------------------------
    def _inputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        if self.model_.encoding is not None:  # a table's model: texts, gaps (nnplug.load's rules)
            table: np.ndarray = validate_data(
                self, X, reset=False, dtype=None, ensure_all_finite="allow-nan"
            )
            return table
        checked: np.ndarray = validate_data(self, X, reset=False, dtype=DTYPES)
        return checked

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    # -- nnplug's model file, and pickle through it ----------------------------------------
    def save(self, path: Any) -> None:
        """Write the fitted estimator as an nnplug model file (``nnplug predict``,
        ``nnplug evaluate --dataset``, ``nnplug export`` read it; no pickle)."""
        check_is_fitted(self)
        save_estimator(self, path)

    @classmethod
    def load(cls, path: Any) -> NNPlugEstimator:
        """The estimator saved in ``path`` -- by :meth:`save`, or any classifier (regressor)
        model file of ``nnplug train --save``, with default parameters then."""
        estimator: NNPlugEstimator = load_estimator(cls, path)
        return estimator

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: it may be the instance's own __dict__
        if "model_" in state:
            state["model_"] = model_state(state["model_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "model_" in state:
            state = dict(state, model_=model_from_state(state["model_"]))
        super().__setstate__(state)


class _Printer:
    """``verbose``: nnplug train's epoch summary lines on stdout (and to the log)."""

    def __init__(self) -> None:
        self.logger = logging.getLogger("nnplug.sklearn")

    def on_epoch_end(self, solver: Any, record: Any) -> None:
        line = record.summary(solver.metric_name)
        self.logger.info(line)
        print(line, flush=True)


def _printer() -> Any:
    return _Printer()
