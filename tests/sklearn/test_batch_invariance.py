"""A row's prediction does not depend on which other rows share its call, nor on their
order: float32 models predict through float64 (``Sequential.predict_raw(exact=True)``), so
class probabilities and regression values agree to 1e-9 relative whatever the batch.

In float32 the same comparison fails on common BLAS builds (a row alone goes through gemv,
a block of rows through gemm kernels that round differently: ~1e-7 to 1e-6 relative)."""
import numpy as np
import pytest

import nnplug
from nnplug.sklearn import NNPlugClassifier, NNPlugRegressor

SIZES = (1, 2, 7, 64, 1000)


def _data(seed=0, n=1200, d=20):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3, size=d)
    w = rng.normal(size=d)
    return X, X @ w + 0.1 * rng.normal(size=n)


def _same(full, part, rows):
    expected = full[rows]
    scale = float(np.max(np.abs(full)))
    np.testing.assert_allclose(part, expected, rtol=1e-9, atol=1e-12 * scale)


def _check(predict, X, seed=1):
    full = predict(X)
    rng = np.random.default_rng(seed)
    for size in SIZES:
        rows = rng.permutation(len(X))[:size]  # a subset, in another order
        _same(full, predict(X[rows]), rows)
        _same(full, predict(X[rows[::-1]]), rows[::-1])
    # one batch holding every row in a shuffled order
    rows = rng.permutation(len(X))
    _same(full, predict(X[rows]), rows)


@pytest.mark.parametrize("layers", [None, "linear,batchnorm,relu,linear:64,tanh"])
def test_float32_classifier_probabilities_do_not_depend_on_the_batch(layers):
    X, t = _data()
    y = np.digitize(t, np.quantile(t, [0.25, 0.5, 0.75]))
    est = NNPlugClassifier(layers=layers, hidden=128, epochs=3, random_state=0,
                           backend="numpy").fit(X, y)
    assert est.dtype == "float32"
    _check(est.predict_proba, X)


def test_float32_regressor_values_do_not_depend_on_the_batch():
    X, t = _data(1)
    est = NNPlugRegressor(hidden=128, epochs=3, random_state=0, backend="numpy").fit(X, t)
    _check(est.predict, X)


def test_the_model_file_path_agrees(tmp_path):
    """nnplug.load(...) -- what `nnplug predict` uses -- gives the estimator's figures,
    batch-invariant too."""
    X, t = _data(2)
    y = (t > np.median(t)).astype(int)
    est = NNPlugClassifier(hidden=64, epochs=2, random_state=0, backend="numpy").fit(X, y)
    est.save(tmp_path / "m.npz")
    model = nnplug.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(model.predict_proba(X), est.predict_proba(X))
    _check(model.predict_proba, X)


def test_the_float32_path_itself_is_what_varies():
    """The reason for the float64 path, kept visible: the float32 network's outputs for a
    row alone and in a batch are not required to be equal, but the float64 ones are."""
    X, t = _data(3)
    est = NNPlugRegressor(hidden=256, epochs=1, random_state=0, backend="numpy").fit(X, t)
    net = est.model_.network
    Z = est.model_.prepare(X)
    alone = np.concatenate([net.predict_raw(Z[i : i + 1], exact=True) for i in range(50)])
    np.testing.assert_allclose(alone, net.predict_raw(Z[:50], exact=True), rtol=1e-9,
                               atol=1e-12)
    assert net.predict_raw(Z[:50]).dtype == np.float32
    assert net.predict_raw(Z[:50], exact=True).dtype == np.float64
