"""nnplug.data.arrays: training from arrays in memory through train(config, data=...)."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

import nnplug
from nnplug.files.model import save
from nnplug.data.arrays import array_data
from nnplug.errors import NNPlugError
from nnplug.nn.training import TrainConfig, train


def test_train_on_arrays_saves_a_model_that_predicts_raw_inputs(tmp_path):
    X, y = load_digits(return_X_y=True)
    data = array_data(X[:1000], y[:1000], task="classification", seed=1,
                      classes=[str(k) for k in range(10)])
    assert data.scaling.kind == "image" and data.scale == 1 / 16
    assert len(data.X_val) == 100 and len(data.X_test) == 0
    run = train(TrainConfig(epochs=5, seed=1), data=data)
    assert run.metrics["best_val_metric"] > 0.9 and np.isnan(run.metrics["test_accuracy"])
    save(tmp_path / "m.npz", run.model, run.loss, data)
    assert (nnplug.load(tmp_path / "m.npz").predict(X[1000:]) == y[1000:]).mean() > 0.9


def test_regression_from_arrays_with_a_quantile_scaling():
    rng = np.random.default_rng(0)
    X = rng.lognormal(size=(300, 3))
    y = np.log(X).sum(axis=1) * 10 + 100
    data = array_data(X, y.astype(np.float32), task="regression", scale="quantile")
    run = train(TrainConfig(epochs=20, seed=0), data=data)
    assert data.scaling.kind == "quantile" and data.target_mean is not None
    assert run.metrics["best_val_metric"] < 0.2 * y.std()


@pytest.mark.parametrize("X,y,message", [
    (np.zeros(5), np.zeros(5), "X must be rows x features"),
    (np.zeros((5, 2)), np.zeros(4), "X has 5 rows but y has 4"),
    (np.zeros((1, 2)), np.zeros(1), "at least 2 samples, got n_samples = 1"),
])
def test_bad_arrays_are_one_line(X, y, message):
    with pytest.raises(NNPlugError, match=message):
        array_data(X, y, task="regression")
