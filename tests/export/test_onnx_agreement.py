"""onnxruntime's predictions equal nnplug's (``nnplug.load(...).predict_proba`` /
``predict``, what ``nnplug predict`` prints) within 1e-5 for every built-in layer, both
tasks, every input scaling a model file holds and the regression target scaling
(regression values: 1e-5 of the targets' std, ``onnx_cases.output_scale``)."""
import numpy as np
import pytest
from onnx_cases import max_diff, onnx_outputs, output_scale, train_model

TOL = 1e-5


def tabular(n=400, seed=0):
    """Uneven features: normal, heavy-tailed, few distinct integers (ties), wide uniform."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(3, 10, n), rng.lognormal(0, 1.5, n),
                         rng.integers(0, 5, n), rng.uniform(-100, 100, n)])
    score = X[:, 0] / 10 + np.log(X[:, 1]) - X[:, 2] / 2 + X[:, 3] / 50
    return X.astype(np.float32), score


def classes(score):
    return np.digitize(score, np.quantile(score, [0.33, 0.66]))


def targets(score, width=1, unit=3.0, offset=10.0):
    y = np.column_stack([score * unit * (k + 1) + offset for k in range(width)])
    return (y[:, 0] if width == 1 else y).astype(np.float32)


def probe(X, seed=1, far=True):
    """Rows to compare on: the training rows, unseen rows, and (``far``) rows far outside
    the training range -- which a scaled model clips to it (the clipping, the quantile
    map's ends). An unscaled model's outputs grow with such rows: float32 then agrees to
    ~1e-7 of their size (measured: 2.7e-5 on an output of -238), not to 1e-5."""
    rng = np.random.default_rng(seed)
    rows = [X, tabular(100, seed)[0], np.zeros((1, X.shape[1]))]
    if far:
        rows.append(X[:20] * 5 - 3 * np.abs(X).max(axis=0) * rng.choice([-1, 1], (20, X.shape[1])))
    return np.concatenate(rows)


LAYERS = ["linear:24,batchnorm,relu,dropout:p=0.3",
          "linear:24,sigmoid,linear:16,tanh",
          "linear:24:bias=false,batchnorm:momentum=0.5:eps=0.001,tanh",
          "batchnorm,linear:16,relu"]


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("layers", LAYERS)
def test_every_built_in_layer(tmp_path, layers, task):
    X, score = tabular()
    y = classes(score) if task == "classification" else targets(score)
    scale = "none" if layers.startswith("batchnorm") else "standard"  # raw inputs to BN
    path = train_model(tmp_path / "m.npz", X, y, task=task, layers=layers, scale=scale)
    rows = probe(X, far=scale != "none")
    # float32 rounding is relative to the outputs: TOL in units of the targets' std
    assert max_diff(path, rows) <= TOL * output_scale(path, rows)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("scale", ["standard", "minmax", "quantile", "none"])
def test_every_input_scaling(tmp_path, scale, task):
    import nnplug

    X, score = tabular()
    y = classes(score) if task == "classification" else targets(score)
    path = train_model(tmp_path / "m.npz", X, y, task=task, scale=scale,
                       layers="linear:32,batchnorm,relu")
    model = nnplug.load(path)
    assert model.meta["input_scaling"] == scale
    rows = probe(X, far=scale != "none")
    if scale == "quantile":  # the stored quantiles themselves, and ties (column 2)
        rows = np.concatenate([rows, model.arrays["scaling/quantiles"][::37]])
    # float32 rounding is relative to the outputs: TOL in units of the targets' std
    assert max_diff(path, rows) <= TOL * output_scale(path, rows)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_image_scale(tmp_path, task):
    """``--scale auto`` on pixels: one global factor 1/max, applied after the cast."""
    import nnplug

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (300, 64)).astype(np.uint8)
    score = X[:, :8].mean(axis=1) / 40
    y = classes(score) if task == "classification" else targets(score)
    path = train_model(tmp_path / "m.npz", X, y, task=task, layers="linear:32,relu")
    assert nnplug.load(path).meta["input_scaling"] == "image"
    assert nnplug.load(path).meta["scale"] == pytest.approx(1 / X.max())
    # float32 rounding is relative to the outputs: TOL in units of the targets' std
    assert max_diff(path, X) <= TOL * output_scale(path, X)


def test_feature_statistics_without_a_clipping_range(tmp_path):
    """A dataset may report a standardisation without a training range: the graph
    standardises without clipping, as nnplug does."""
    import nnplug
    from nnplug.base import Scaling

    X, score = tabular()
    mean, std = X.mean(axis=0), X.std(axis=0)
    path = train_model(tmp_path / "m.npz", X, classes(score), task="classification",
                       scale="none", scaling=Scaling("standard", mean=mean, std=std))
    stats = nnplug.load(path).meta["scaling"]
    assert "min" not in stats and np.allclose(stats["std"], std)
    assert max_diff(path, probe(X)) <= TOL


def test_regression_with_several_large_targets(tmp_path):
    """Targets in the tens of thousands: values are float64 (the target scaling folded
    in as nnplug computes it); float32 network outputs agree to 1e-5 of the targets' std,
    an absolute 1e-5 is below float32's resolution there."""
    import nnplug

    X, score = tabular()
    y = targets(score, width=3, unit=3000.0, offset=5e4)
    path = train_model(tmp_path / "m.npz", X, y, task="regression", layers="linear:32,relu")
    std = np.asarray(nnplug.load(path).meta["target_scaling"]["std"])
    assert std.min() > 1000
    assert max_diff(path, probe(X)) <= TOL * std.max()


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_float64_models_agree_far_closer(tmp_path, task):
    """In float64 the quantile map's normal quantile function (Acklam's approximation,
    ~5e-9 absolute) is what remains: measured 1.8e-8 on regression values ~20."""
    X, score = tabular()
    y = classes(score) if task == "classification" else targets(score)
    path = train_model(tmp_path / "m.npz", X.astype(np.float64), y, task=task, dtype="float64",
                       scale="quantile", layers="linear:24,batchnorm,sigmoid,linear:8,tanh")
    assert max_diff(path, probe(X)) <= 1e-7


def test_outputs_inputs_and_metadata(tmp_path):
    import json

    import onnx

    X, score = tabular()
    path = train_model(tmp_path / "m.npz", X, classes(score), task="classification")
    from onnx_cases import export_file

    proto = onnx.load(str(export_file(path)))
    assert proto.opset_import[0].version == 17 and proto.ir_version == 8
    assert [i.name for i in proto.graph.input] == ["X"]
    assert [o.name for o in proto.graph.output] == ["probabilities", "label"]
    props = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(props["classes"]) == ["c0", "c1", "c2"] and props["task"] == "classification"
    ops = {n.op_type for n in proto.graph.node}
    assert {"Gemm", "Relu", "Softmax", "ArgMax"} <= ops and "Dropout" not in ops
    out = onnx_outputs(export_file(path), X)
    assert out["label"].dtype == np.int64


def test_a_saved_estimator_exports(tmp_path):
    """est.save writes an ordinary model file: the export of a scikit-learn estimator
    predicts what the estimator predicts, its string labels in the metadata."""
    import json

    import onnx

    from nnplug.sklearn import NNPlugClassifier

    X, score = tabular()
    labels = np.array(["low", "mid", "high"])[classes(score)]
    clf = NNPlugClassifier(epochs=3, scale="quantile", random_state=0).fit(X, labels)
    clf.save(tmp_path / "clf.npz")
    assert max_diff(tmp_path / "clf.npz", probe(X)) <= TOL
    from onnx_cases import export_file

    out = export_file(tmp_path / "clf.npz")
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert json.loads(props["classes"]) == list(clf.classes_)
    label = onnx_outputs(out, X)["label"]
    # float32 (onnxruntime) and float64 (nnplug) probabilities agree to TOL: a row whose top
    # two are within 2 TOL may take either label, every other row must agree (ties are rare)
    top2 = np.sort(clf.predict_proba(X), axis=1)[:, -2:]
    decided = top2[:, 1] - top2[:, 0] > 2 * TOL
    assert decided.mean() > 0.95
    assert np.array_equal(clf.classes_[label][decided], clf.predict(X)[decided])
