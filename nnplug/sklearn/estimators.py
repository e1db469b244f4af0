"""scikit-learn estimators on nnplug: :class:`NNPlugClassifier`, :class:`NNPlugRegressor`.

``from nnplug.sklearn import NNPlugClassifier`` imports scikit-learn; ``import nnplug``
does not. Both take ``nnplug train``'s options as parameters and train through nnplug's
own path (:mod:`nnplug.sklearn.base`); a fitted one is saved as an ordinary nnplug model
file (``est.save(path)``, ``NNPlugClassifier.load(path)``) that ``nnplug predict`` and
``nnplug export`` read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from nnplug.sklearn.base import DTYPES, NNPlugEstimator, estimator_init

__all__ = ["NNPlugClassifier", "NNPlugRegressor"]


class NNPlugClassifier(ClassifierMixin, NNPlugEstimator):
    """nnplug's network as a scikit-learn classifier (softmax cross-entropy by default).

    ``classes_`` holds the labels seen in ``fit`` (sorted); ``predict_proba`` gives one
    column per class, ``predict`` the most probable class. See the module docstring."""

    _task = "classification"

    def _validate(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, reset=reset, dtype=DTYPES)
        check_classification_targets(y)
        return X, y

    def _targets(self, y: np.ndarray, warm: bool) -> tuple[np.ndarray, np.ndarray | None]:
        classes, index = np.unique(y, return_inverse=True)
        if warm:
            unknown = np.setdiff1d(classes, self.classes_)
            if len(unknown):
                raise ValueError(
                    f"warm_start: y holds classes the fitted model does not "
                    f"know: {unknown[:5].tolist()}"
                )
            return np.searchsorted(self.classes_, y).astype(np.int64), None
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in "
                f"the data, but the data contains only one class: "
                f"{classes[0]!r}"
            )
        return index.astype(np.int64), classes

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities, one column per class of ``classes_`` (rows sum to 1)."""
        X = self._inputs(X)
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row (as ``nnplug predict``'s ``class``)."""
        proba = self.predict_proba(X)  # first: unfitted is a NotFittedError
        labels: np.ndarray = self.classes_[proba.argmax(axis=1)]
        return labels


class NNPlugRegressor(RegressorMixin, NNPlugEstimator):
    """nnplug's network as a scikit-learn regressor (mean squared error by default; one
    or several targets). ``scale_target``: train on standardised targets (the training
    rows' mean and standard deviation); predictions are in the targets' units."""

    _task = "regression"

    __init__ = estimator_init("regression")

    def _validate(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        checked: tuple[np.ndarray, np.ndarray] = validate_data(
            self, X, y, reset=reset, dtype=DTYPES, multi_output=True, y_numeric=True
        )
        return checked

    def _targets(self, y: np.ndarray, warm: bool) -> tuple[np.ndarray, np.ndarray | None]:
        width = 1 if y.ndim == 1 else y.shape[1]
        if warm and width != self.model_.network.out_features:
            raise ValueError(
                f"warm_start: y has {width} targets, the fitted model "
                f"{self.model_.network.out_features}"
            )
        return np.asarray(
            y, np.float64 if self.get_params()["dtype"] == "float64" else np.float32
        ), None

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, in their own units: ``(n,)`` for one target, else
        ``(n, targets)``."""
        X = self._inputs(X)
        return self.model_.predict(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
