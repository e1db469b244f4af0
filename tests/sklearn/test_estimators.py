"""NNPlugClassifier / NNPlugRegressor: nnplug's own training path, parameters, random_state,
warm_start, feature names, errors, and scikit-learn's tools around them."""
import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.model_selection import train_test_split

from nnplug.sklearn import NNPlugClassifier, NNPlugRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def regression_data(n=300, targets=1):
    X, y = make_regression(n, 6, n_targets=targets, noise=2.0, random_state=1)
    return X * [1, 10, 100, 0.1, 1, 5], y * 300 + 5e4  # uneven features, large targets


def test_import_nnplug_does_not_import_sklearn():
    code = ("import sys, nnplug, nnplug.files.model, nnplug.nn.training, nnplug.data.arrays; "
            "before = 'sklearn' in sys.modules; import nnplug.sklearn; "
            "print(before, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    assert out == ["False", "True"]


def test_classifier_fits_and_predicts_digits(digits, monkeypatch):
    monkeypatch.delenv("NNPLUG_THREADS", raising=False)  # the policy's choice is asserted
    X_tr, X_te, y_tr, y_te = digits
    clf = NNPlugClassifier(random_state=0).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) > 0.95
    assert list(clf.classes_) == list(range(10)) and clf.n_features_in_ == 64
    assert clf.n_iter_ == 30 == len(clf.history_) == len(clf.loss_curve_)
    assert [h["epoch"] for h in clf.history_] == list(range(1, 31))
    assert clf.loss_curve_ == [h["loss"] for h in clf.history_]
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 3
    assert 1 <= clf.best_epoch_ <= 30
    proba = clf.predict_proba(X_te)
    assert proba.shape == (len(X_te), 10) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(clf.predict(X_te), proba.argmax(axis=1))
    m = clf.metrics_
    assert m["backend"] == "numpy" and m["blas_threads"] == 1 and m["training_path"] == "per-op"
    assert m["model"].startswith("linear(64->256) > batchnorm")  # nnplug train's default stack


def test_the_estimator_is_nnplug_train_on_the_same_rows(digits, tmp_path, cli):
    """No second training loop: `nnplug train --dataset npz` on the estimator's own split
    (same seed, defaults, scaling) gives bitwise the same model."""
    from nnplug.data.split import stratified_holdout

    import nnplug

    X_tr, X_te, y_tr, _ = digits
    keep, val = stratified_holdout(y_tr, 0.1, 7)
    data = tmp_path / "rows.npz"
    np.savez(data, X_train=X_tr[keep], y_train=y_tr[keep], X_val=X_tr[val], y_val=y_tr[val],
             X_test=X_te, y_test=np.zeros(len(X_te), np.int64))
    res = cli("train", "--dataset", "npz", "--data", str(data), "--seed", "7", "--epochs", "8",
              "--save", str(tmp_path / "m.npz"), "--quiet", "--log-file", "")
    assert res.exit_code == 0, res.output
    clf = NNPlugClassifier(random_state=7, epochs=8).fit(X_tr, y_tr)
    assert np.array_equal(clf.predict_proba(X_te),
                          nnplug.load(tmp_path / "m.npz").predict_proba(X_te))


def test_regressor_standardises_targets_and_predicts_in_their_units():
    X, y = regression_data()
    reg = NNPlugRegressor(random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.95
    from nnplug.data.split import random_holdout

    keep, _ = random_holdout(len(y), 0.1, 0)  # the training rows (seed 0)
    stats, y_train = reg.model_.meta["target_scaling"], y[keep].astype(np.float32)
    assert np.allclose([stats["mean"][0], stats["std"][0]], [y_train.mean(), y_train.std()])
    assert reg.model_.meta["input_scaling"] == "standard"
    assert reg.predict(X).shape == (len(X),) and reg.predict(X).dtype == np.float64
    with pytest.raises(ValueError, match=r"not standardised.*drop scale_target=False"):
        NNPlugRegressor(random_state=0, scale_target=False, optimizer="momentum", lr=0.05).fit(X, y)
    raw = NNPlugRegressor(random_state=0, scale_target=False, epochs=3).fit(X, y / 1e4)
    assert raw.model_.meta["target_scaling"] is None


def test_regressor_with_several_targets():
    X, y = regression_data(targets=3)
    reg = NNPlugRegressor(random_state=0).fit(X, y)
    assert reg.predict(X).shape == (len(X), 3) and reg.score(X, y) > 0.9


@pytest.mark.parametrize("Estimator,data", [(NNPlugClassifier, "digits"),
                                            (NNPlugRegressor, "regression")])
def test_random_state(Estimator, data, digits):
    X, y = (digits[0][:400], digits[2][:400]) if data == "digits" else regression_data()
    kw = dict(epochs=3, hidden=32)
    fit = lambda **k: Estimator(**kw, **k).fit(X, y).predict(X)  # noqa: E731
    assert np.array_equal(fit(random_state=3), fit(random_state=3))  # an int: reproducible
    assert not np.array_equal(fit(random_state=3), fit(random_state=4))
    assert not np.array_equal(fit(random_state=None), fit(random_state=None))  # fresh seed
    np.random.seed(5)  # None draws from NumPy's global RandomState, as scikit-learn's do
    first = fit(random_state=None)
    np.random.seed(5)
    assert np.array_equal(first, fit(random_state=None))
    rs = np.random.RandomState(0)
    est = Estimator(**kw, random_state=rs)
    a, b = est.fit(X, y).predict(X), est.fit(X, y).predict(X)  # the generator advances
    assert not np.array_equal(a, b)
    assert np.array_equal(a, Estimator(**kw, random_state=np.random.RandomState(0))
                          .fit(X, y).predict(X))
    with pytest.raises(ValueError):
        Estimator(random_state="seven").fit(X, y)


def test_get_set_params_and_clone(digits):
    from sklearn.base import clone

    X_tr, _, y_tr, _ = digits
    clf = NNPlugClassifier(epochs=2).set_params(hidden=16, layers="linear,tanh")
    assert clf.get_params()["hidden"] == 16
    copy = clone(clf).fit(X_tr, y_tr)
    assert copy.metrics_["model"] == "linear(64->16) > tanh(16->16) > linear(16->10)"
    assert not hasattr(clf, "model_")


def test_warm_start_continues_training(digits):
    X_tr, X_te, y_tr, y_te = digits
    clf = NNPlugClassifier(epochs=2, random_state=0, warm_start=True).fit(X_tr, y_tr)
    network, weights = clf.model_.network, clf.model_.network.layers[0].params["W"].copy()
    first = clf.score(X_te, y_te)
    clf.fit(X_tr, y_tr)
    assert clf.model_.network is network  # the same network, trained further
    assert not np.array_equal(weights, network.layers[0].params["W"])
    assert clf.n_iter_ == 4 and [h["epoch"] for h in clf.history_] == [1, 2, 3, 4]
    assert len(clf.loss_curve_) == 4 and clf.best_epoch_ >= 1
    assert clf.score(X_te, y_te) >= first - 0.02
    cold = NNPlugClassifier(epochs=2, random_state=0).fit(X_tr, y_tr)
    assert cold.n_iter_ == 2 and cold.model_.network is not network
    fitted_hidden = clf.get_params()["hidden"]
    clf.set_params(hidden=64)
    with pytest.raises(ValueError, match="hidden changed since the last fit"):
        clf.fit(X_tr, y_tr)
    clf.set_params(hidden=fitted_hidden)
    with pytest.raises(ValueError, match="classes the fitted model does not know"):
        clf.fit(X_tr[:20], np.full(20, 11))
    with pytest.raises(ValueError, match="expecting 64 features"):
        clf.fit(X_tr[:, :5], y_tr)


def test_warm_start_regressor_keeps_its_scalings():
    X, y = regression_data()
    reg = NNPlugRegressor(epochs=2, random_state=0, warm_start=True).fit(X, y)
    meta = json.dumps(reg.model_.meta["scaling"]), reg.model_.meta["target_scaling"]
    reg.fit(X[:100] * 3, y[:100] + 1e5)  # other data: the model's scalings stay
    assert (json.dumps(reg.model_.meta["scaling"]), reg.model_.meta["target_scaling"]) == meta
    assert reg.n_iter_ == 4


def test_feature_names_from_a_dataframe(tmp_path, cli):
    pd = pytest.importorskip("pandas")
    X, y = regression_data()
    names = ["a", "b", "c", "d", "e", "f"]
    frame = pd.DataFrame(X, columns=names)
    reg = NNPlugRegressor(epochs=3, random_state=0).fit(frame, y)
    assert list(reg.feature_names_in_) == names
    assert reg.model_.meta["feature_names"] == names
    reg.save(tmp_path / "m.npz")
    # nnplug predict picks the model's columns by name from a CSV header in any order
    frame[names[::-1]].to_csv(tmp_path / "rows.csv", index=False)
    res = cli("predict", "--model", str(tmp_path / "m.npz"), "--input",
              str(tmp_path / "rows.csv"))
    assert res.exit_code == 0, res.output
    values = np.array([float(v) for v in res.output.split()[1:]])
    assert np.allclose(values, reg.predict(frame), rtol=1e-7)
    with pytest.warns(UserWarning, match="feature names"):
        reg.predict(X)  # fitted with names, given none: scikit-learn's warning


@pytest.mark.parametrize("params,message", [
    ({"lr": -1.0}, "lr must be > 0"),
    ({"layers": "linear,swish"}, "unknown layer 'swish'"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"scale": "log"}, "scale must be one of"),
    ({"dtype": "float16"}, "dtype must be one of float32, float64"),
    ({"val_fraction": 0.95}, "val_fraction must be in"),
    ({"hidden": np.int64(8)}, None),  # NumPy integers (a grid search's) are integers
])
def test_bad_parameters_are_one_line_value_errors(digits, params, message):
    X_tr, _, y_tr, _ = digits
    est = NNPlugClassifier(**{"epochs": 1, **params})
    if message is None:
        est.fit(X_tr, y_tr)
        return
    with pytest.raises(ValueError, match=message) as info:
        est.fit(X_tr, y_tr)
    assert "\n" not in str(info.value) and "--" not in str(info.value)


def test_divergence_before_any_epoch_is_a_value_error_and_later_a_warning():
    from sklearn.exceptions import ConvergenceWarning

    X, y = regression_data()
    with pytest.raises(ValueError, match="loss became"):
        NNPlugRegressor(lr=1e12, scale_target=False, random_state=0).fit(X, y)
    # the warm-up raises the learning rate until the loss overflows in epoch 2
    with pytest.warns(ConvergenceWarning, match=r"epoch 2.*kept the best model \(epoch 1\)"):
        reg = NNPlugRegressor(lr=1.0, schedule="constant", warmup=0.9, optimizer="sgd",
                              random_state=0, layers="linear,relu").fit(X, y)
    assert reg.best_epoch_ == 1 == reg.n_iter_ and np.isfinite(reg.predict(X)).all()


def test_verbose_prints_the_epoch_lines(digits, capsys):
    X_tr, _, y_tr, _ = digits
    NNPlugClassifier(epochs=2, hidden=16).fit(X_tr, y_tr)
    assert capsys.readouterr().out == ""
    NNPlugClassifier(epochs=2, hidden=16, verbose=1).fit(X_tr, y_tr)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch   1  loss ")


def test_the_numba_backend_trains_and_predictions_stay_on_numpy(digits, tmp_path):
    """backend="numba": nnplug's compiled training; predictions (and a warm start's next
    fit) as everywhere else."""
    from nnplug.registry import get_registry

    if not get_registry().get("backend", "numba").cls.availability()[0]:
        pytest.skip("numba cannot be imported here")
    X_tr, X_te, y_tr, _ = digits
    clf = NNPlugClassifier(backend="numba", epochs=2, random_state=0, warm_start=True)
    clf.fit(X_tr, y_tr)
    assert clf.metrics_["backend"] == "numba"
    assert clf.model_.network.backend.name == clf.model_.loss.ops.name == "numpy"
    clf.save(tmp_path / "m.npz")
    assert np.array_equal(NNPlugClassifier.load(tmp_path / "m.npz").predict_proba(X_te),
                          clf.predict_proba(X_te))
    clf.fit(X_tr, y_tr)
    assert clf.n_iter_ == 4 and clf.metrics_["backend"] == "numba"


def test_a_failed_fit_leaves_no_half_fitted_estimator(digits):
    from sklearn.exceptions import NotFittedError

    X_tr, X_te, y_tr, _ = digits
    clf = NNPlugClassifier(epochs=1, hidden=16).fit(X_tr, y_tr)
    labels = np.array(["x", "y"])[y_tr % 2]
    with pytest.raises(ValueError, match="lr must be > 0"):
        clf.set_params(lr=-1.0).fit(X_tr, labels)
    with pytest.raises(NotFittedError):
        clf.predict(X_te)  # not the old network with the new labels
    assert list(clf.set_params(lr=None).fit(X_tr, labels).classes_) == ["x", "y"]
