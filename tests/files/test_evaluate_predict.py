"""nnplug evaluate / predict on saved models."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

import nnplug


@pytest.fixture(scope="module")
def digits_rows():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data[:20], d.target[:20]


def test_evaluate_reports_the_training_test_metric(cli, trained):
    m = json.loads((trained / "metrics.json").read_text())
    res = cli("evaluate", "--model", trained / "model.npz")
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"digits: test_accuracy {m['test_accuracy']:.4f}  (359 samples)"
    res = cli("evaluate", "--model", trained / "ck" / "best.npz", "--json")
    record = json.loads(res.stdout)
    assert record["value"] == m["test_accuracy"] and record["metric"] == "accuracy"
    res = cli("evaluate", "--model", trained / "model.npz", "--split", "val", "--json")
    assert_val_metric_matches(json.loads(res.stdout), m)


def assert_val_metric_matches(record, metrics):
    """``evaluate --split val`` scores the training's validation split: its record against
    the run's ``best_val_metric``. Training measured that in the model's float32, evaluate
    runs the float64 path (logits ~1e-6 relative apart): a row whose top two logits are
    that close may flip, so one row of the split may differ; the split's size must match."""
    from nnplug.nn.training import TrainConfig, build

    config = metrics["config"]
    data = build(TrainConfig(seed=config["seed"], val_fraction=config["val_fraction"]))[0]
    assert record["split"] == "val" and record["metric"] == "accuracy"
    assert record["samples"] == len(data.y_val) != len(data.y_test)
    assert abs(record["value"] - metrics["best_val_metric"]) <= 1 / record["samples"] + 1e-12


def read(text):
    return list(csv.reader(io.StringIO(text)))


def test_predict_csv_and_npy_give_class_and_probabilities(cli, trained, tmp_path, digits_rows):
    X, y = digits_rows
    np.save(tmp_path / "x.npy", X)
    np.savetxt(tmp_path / "x.csv", X, delimiter=",", fmt="%g")
    res = cli("predict", "--model", trained / "model.npz", "--input", tmp_path / "x.npy")
    assert res.exit_code == 0, res.output
    rows = read(res.stdout)
    assert rows[0] == ["class", *[f"p_{c}" for c in range(10)]] and len(rows) == 21
    model = nnplug.load(trained / "model.npz")
    proba = model.predict_proba(X)
    for row, p in zip(rows[1:], proba):
        assert row[0] == str(int(p.argmax()))
        np.testing.assert_allclose([float(v) for v in row[1:]], p, rtol=1e-5, atol=1e-9)
    assert np.mean([int(r[0]) for r in rows[1:]] == y) >= 0.8
    res = cli("predict", "--model", trained / "model.npz", "--input", tmp_path / "x.csv",
              "--output", tmp_path / "out.csv")
    assert res.exit_code == 0 and "wrote 20 predictions" in res.stderr
    assert read((tmp_path / "out.csv").read_text()) == rows


def test_predict_regression_values_with_header_columns(cli, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)) * [1, 10, 100] + [0, 5, 50]
    y = X[:, 0] + 0.1 * X[:, 1] - 0.01 * X[:, 2]
    with open(tmp_path / "data.csv", "w") as fh:
        fh.write("a,b,c,y\n")
        np.savetxt(fh, np.column_stack([X, y]), delimiter=",")
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "data.csv", "--target", "y",
              "--task", "regression", "--layers", "linear:16,tanh", "--optimizer", "adam",
              "--lr", "0.01", "--epochs", "30", "--quiet", "--save", tmp_path / "r.npz")
    assert res.exit_code == 0, res.output
    model = nnplug.load(tmp_path / "r.npz")
    assert model.task == "regression" and model.meta["feature_names"] == ["a", "b", "c"]
    # columns in another order, plus the target: the header picks the model's features
    with open(tmp_path / "new.csv", "w") as fh:
        fh.write("y,c,a,b\n")
        np.savetxt(fh, np.column_stack([y, X[:, 2], X[:, 0], X[:, 1]])[:50], delimiter=",")
    res = cli("predict", "--model", tmp_path / "r.npz", "--input", tmp_path / "new.csv")
    assert res.exit_code == 0, res.output
    rows = read(res.stdout)
    assert rows[0] == ["value"] and len(rows) == 51
    values = np.array([float(r[0]) for r in rows[1:]])
    np.testing.assert_allclose(values, model.predict(X[:50]), rtol=1e-6)
    assert np.sqrt(np.mean((values - y[:50]) ** 2)) < 0.5 * np.std(y)
    res = cli("evaluate", "--model", tmp_path / "r.npz")  # the file never names the data
    assert res.exit_code == 1 and "pass that file (or another) with --data FILE" in res.stderr
    res = cli("evaluate", "--model", tmp_path / "r.npz", "--data", tmp_path / "data.csv")
    assert res.exit_code == 0 and res.stdout.startswith("csv: test_rmse ")


def test_api_predict_mirrors_cli(trained, digits_rows):
    X, _ = digits_rows
    model = nnplug.load(str(trained / "model.npz"))
    assert model.classes == [str(c) for c in range(10)]
    assert np.array_equal(model.predict(X), model.predict_proba(X).argmax(axis=1))
    assert "classification" in repr(model)


def test_evaluate_finds_the_training_split_of_a_checkpoint_model(cli, tmp_path):
    res = cli("train", "--hidden", "16", "--epochs", "3", "--quiet", "--seed", "5",
              "--val-fraction", "0.25", "--checkpoint-dir", tmp_path / "ck",
              "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "m.json").read_text())
    res = cli("evaluate", "--model", tmp_path / "ck" / "best.npz", "--split", "val", "--json")
    record = json.loads(res.stdout)
    assert_val_metric_matches(record, m)
    res = cli("evaluate", "--model", tmp_path / "ck" / "best.npz", "--json")
    assert json.loads(res.stdout)["value"] == m["test_accuracy"]
