"""A fitted estimator round-trips through nnplug's own model file (est.save, Class.load) and
through pickle -- which carries the model file's header and arrays, no network objects."""
import copy
import json
import pickle
import zipfile

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

import nnplug
from nnplug.files.container import META_KEY, ModelFileError
from nnplug.sklearn import NNPlugClassifier, NNPlugRegressor


def labelled(labels):
    X, y = make_classification(200, 8, n_informative=5, n_classes=3, random_state=0)
    return X * 10 + 3, np.asarray(labels)[y]


@pytest.mark.parametrize("labels", [["b", "a", "c"], [10, -1, 7], [1.0, 2.0, 3.0],
                                    np.array(["x", "y", "z"], dtype=object)])
@pytest.mark.parametrize("scale", ["standard", "quantile", "minmax"])
def test_classifier_round_trip(tmp_path, labels, scale):
    X, y = labelled(labels)
    clf = NNPlugClassifier(epochs=4, hidden=32, scale=scale, random_state=0).fit(X, y)
    clf.save(tmp_path / "clf.npz")
    back = NNPlugClassifier.load(tmp_path / "clf.npz")
    assert np.array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert np.array_equal(back.predict(X), clf.predict(X))
    assert back.classes_.dtype == clf.classes_.dtype
    assert list(back.classes_) == list(clf.classes_)
    assert back.get_params() == clf.get_params()
    assert back.history_ == json.loads(json.dumps(clf.history_))
    assert back.n_iter_ == 4 and back.best_epoch_ == clf.best_epoch_
    # an ordinary model file: nnplug.load (what `nnplug predict` runs) gives the same
    model = nnplug.load(tmp_path / "clf.npz")
    assert np.array_equal(model.predict_proba(X), clf.predict_proba(X))
    assert model.classes == [str(c) for c in clf.classes_]
    with zipfile.ZipFile(tmp_path / "clf.npz") as z:  # arrays and a JSON header only
        assert all(n.endswith(".npy") for n in z.namelist())
        assert f"{META_KEY}.npy" in z.namelist()


def test_regressor_round_trip_with_several_targets(tmp_path):
    X, y = make_regression(200, 5, n_targets=2, noise=1, random_state=0)
    reg = NNPlugRegressor(epochs=4, random_state=0).fit(X, y * 100 + 7)
    reg.save(tmp_path / "reg.npz")
    back = NNPlugRegressor.load(tmp_path / "reg.npz")
    assert np.array_equal(back.predict(X), reg.predict(X))
    assert back.get_params() == reg.get_params()
    assert np.array_equal(nnplug.load(tmp_path / "reg.npz").predict(X), reg.predict(X))


def test_a_loaded_estimator_warm_starts(tmp_path):
    X, y = labelled(["a", "b", "c"])
    NNPlugClassifier(epochs=2, random_state=0).fit(X, y).save(tmp_path / "m.npz")
    back = NNPlugClassifier.load(tmp_path / "m.npz").set_params(warm_start=True)
    weights = back.model_.network.layers[0].params["W"].copy()
    back.fit(X, y)
    assert back.n_iter_ == 4 and not np.array_equal(weights,
                                                    back.model_.network.layers[0].params["W"])


def test_pickle_carries_the_model_file_not_network_objects(tmp_path):
    X, y = labelled(["b", "a", "c"])
    clf = NNPlugClassifier(epochs=3, random_state=0).fit(X, y)
    blob = pickle.dumps(clf)
    assert b"Sequential" not in blob and b"nnplug.nn.sequential" not in blob
    assert b"nnplug_core" not in blob  # no layer, loss or backend object
    back = pickle.loads(blob)
    assert np.array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert hasattr(clf, "model_") and clf.model_.network is not back.model_.network
    deep = copy.deepcopy(clf)
    assert np.array_equal(deep.predict_proba(X), clf.predict_proba(X))


def test_a_model_file_from_nnplug_train_loads_as_an_estimator(tmp_path, cli):
    res = cli("train", "--epochs", "2", "--hidden", "16", "--save", str(tmp_path / "d.npz"),
              "--quiet", "--log-file", "")
    assert res.exit_code == 0, res.output
    from sklearn.datasets import load_digits

    X, _ = load_digits(return_X_y=True)
    clf = NNPlugClassifier.load(tmp_path / "d.npz")
    model = nnplug.load(tmp_path / "d.npz")
    assert list(clf.classes_) == model.classes == [str(k) for k in range(10)]
    assert np.array_equal(clf.predict(X), np.asarray(model.classes)[model.predict(X)])
    assert clf.n_features_in_ == 64 and clf.best_epoch_ >= 1
    with pytest.raises(ModelFileError, match="holds a classification model, not one for "
                                             "NNPlugRegressor"):
        NNPlugRegressor.load(tmp_path / "d.npz")


def rewrite_record(src, dest, change):
    """Copy model file ``src`` to ``dest`` with its estimator record changed."""
    with np.load(src, allow_pickle=False) as z:
        arrays = dict(z)
    meta = json.loads(arrays.pop(META_KEY).tobytes())
    change(meta["estimator"])
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(dest, **arrays)


@pytest.mark.parametrize("change,message", [
    (lambda r: r.update({"class": "NNPlugRegressor"}), "holds a NNPlugRegressor, not a "
                                                       "NNPlugClassifier"),
    (lambda r: r.update({"classes": ["a"]}), "classes must be 3 labels"),
    (lambda r: r.update({"classes_dtype": "<M8[ns]"}), "not a label dtype"),
    (lambda r: r.update({"classes_dtype": "no such dtype"}), "classes"),
    (lambda r: r.update({"classes_dtype": "<U9999999"}), "wider than 65536 bytes"),
    (lambda r: r.update({"params": {"hidden": [1, 2]}}), "params must be"),
    (lambda r: r.update({"history": [{"epoch": "one"}]}), "history must be"),
    (lambda r: r.update({"feature_names_in": ["a"]}), "feature_names_in must be 8 names"),
    (lambda r: r.update({"params": {"epochs": 0}}), None),  # fit says so, not load
])
def test_a_damaged_estimator_record_is_one_line(tmp_path, change, message):
    X, y = labelled(["a", "b", "c"])
    NNPlugClassifier(epochs=1, hidden=8).fit(X, y).save(tmp_path / "m.npz")
    rewrite_record(tmp_path / "m.npz", tmp_path / "bad.npz", change)
    if message is None:
        NNPlugClassifier.load(tmp_path / "bad.npz")
        return
    with pytest.raises(ModelFileError, match=message) as info:
        NNPlugClassifier.load(tmp_path / "bad.npz")
    assert str(info.value).startswith(f"{tmp_path / 'bad.npz'} ") and "\n" not in str(info.value)


def test_saving_an_unfitted_estimator_is_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        NNPlugClassifier().save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()
