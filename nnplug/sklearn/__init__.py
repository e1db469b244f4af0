"""scikit-learn estimators on nnplug: :class:`NNPlugClassifier`, :class:`NNPlugRegressor`.

``from nnplug.sklearn import NNPlugClassifier`` imports scikit-learn; ``import nnplug``
does not. See :mod:`nnplug.sklearn.estimators`.
"""

from nnplug.sklearn.estimators import NNPlugClassifier, NNPlugRegressor

__all__ = ["NNPlugClassifier", "NNPlugRegressor"]
