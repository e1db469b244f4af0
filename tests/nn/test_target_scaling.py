"""Regression targets are standardised on the training split and mapped back: metrics,
evaluate, predict and a saved model speak the target's own units (dollars here)."""
import json
import warnings

import numpy as np
import pytest

import nnplug
from nnplug.files.model import save
from nnplug.nn.training import TrainConfig, train


def dollar_csv(path, n=600, seed=0):
    """House-price-like data: a target in the hundreds of thousands."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(0, 10, n), rng.uniform(1, 50, n), rng.normal(0, 1, n)])
    y = 50_000 + 40_000 * X[:, 0] + 2_000 * X[:, 1] + 5_000 * rng.normal(size=n)
    lines = ["income,age,noise,value"] + [f"{a:.4f},{b:.4f},{c:.4f},{v:.2f}"
                                          for (a, b, c), v in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    return X, y


def config(path, **kw):
    return TrainConfig(dataset="csv", dataset_options={"data": str(path), "target": "value"},
                       epochs=kw.pop("epochs", 15), **kw)


def test_dollar_target_trains_and_reports_dollars(tmp_path):
    X, y = dollar_csv(tmp_path / "h.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may leak
        run = train(config(tmp_path / "h.csv"))
    data = run.data
    assert data.target_mean[0] == pytest.approx(np.mean(data.y_train), rel=1e-6)
    assert data.target_std[0] == pytest.approx(np.std(data.y_train), rel=1e-6)
    rmse = run.metrics["test_rmse"]
    assert 1_000 < rmse < 0.3 * np.std(y)  # dollars, and far better than the mean
    assert run.metrics["history"][-1]["val_metric"] > 1_000  # epoch metrics in dollars too
    # the network itself learns standardised targets
    raw = run.model.predict_raw(data.X_test)
    assert abs(float(raw.mean())) < 1.0 and float(raw.std()) < 3.0


def test_saved_model_predicts_dollars(tmp_path):
    X, y = dollar_csv(tmp_path / "h.csv")
    run = train(config(tmp_path / "h.csv"))
    save(tmp_path / "m.npz", run.model, run.loss, run.data)
    model = nnplug.load(tmp_path / "m.npz")
    stats = model.meta["target_scaling"]
    assert stats["mean"][0] == pytest.approx(float(run.data.target_mean[0]))
    assert stats["std"][0] == pytest.approx(float(run.data.target_std[0]))
    pred = model.predict(X)  # raw CSV features in, dollars out
    assert pred.shape == (len(X),)
    assert np.sqrt(np.mean((pred - y) ** 2)) < 0.3 * np.std(y)
    assert model.evaluate(X, y) == pytest.approx(np.sqrt(np.mean((pred - y) ** 2)), rel=1e-6)
    assert model.evaluate_data(run.data) == pytest.approx(run.metrics["test_rmse"], rel=1e-4)
    model.save(tmp_path / "again.npz")  # a re-saved model keeps its target scaling
    np.testing.assert_allclose(nnplug.load(tmp_path / "again.npz").predict(X), pred)


def test_cli_evaluate_and_predict_speak_dollars(tmp_path, cli):
    X, y = dollar_csv(tmp_path / "h.csv")
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "h.csv", "--target", "value",
              "--epochs", "10", "--quiet", "--save", tmp_path / "m.npz",
              "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 0, res.output
    test_rmse = json.loads((tmp_path / "m.json").read_text())["test_rmse"]
    res = cli("evaluate", "--model", tmp_path / "m.npz", "--data", tmp_path / "h.csv",
              "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["value"] == pytest.approx(test_rmse, rel=1e-4)
    res = cli("predict", "--model", tmp_path / "m.npz", "--input", tmp_path / "h.csv",
              "--output", tmp_path / "p.csv")
    assert res.exit_code == 0, res.output
    values = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)
    assert np.sqrt(np.mean((values - y) ** 2)) < 0.3 * np.std(y)


def test_without_target_scaling_the_divergence_names_the_target(tmp_path):
    """The old behaviour, kept behind --no-scale-target: dollars overflow plain SGD; the
    message names the target scale, not only the learning rate."""
    from nnplug.errors import TrainingDiverged

    dollar_csv(tmp_path / "h.csv")
    with pytest.raises(TrainingDiverged) as info:
        train(config(tmp_path / "h.csv", scale_target=False, optimizer="sgd", lr=0.05,
                     epochs=3))
    assert "targets are large" in str(info.value) and "--no-scale-target" in str(info.value)


def test_divergence_with_standardised_targets_names_the_learning_rate(tmp_path):
    from nnplug.errors import TrainingDiverged

    dollar_csv(tmp_path / "h.csv")
    with pytest.raises(TrainingDiverged) as info:
        train(config(tmp_path / "h.csv", optimizer="sgd", lr=1e4, epochs=3))
    message = str(info.value)
    assert "learning rate" in message and "targets are large" not in message


def test_classification_is_untouched(tmp_path):
    run = train(TrainConfig(epochs=1, hidden=16))
    assert run.data.target_mean is None and run.data.target_std is None
