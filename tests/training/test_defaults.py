"""Unset options resolve by task and data size (the defaults chosen on validation data,
README "Defaults and their evidence"), and the resolved values are recorded."""
import numpy as np
import pytest

from nnplug.training import DEFAULT_LAYERS, TrainConfig, build


def npz(tmp_path, n, task):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] > 0).astype(int) if task == "classification" else X[:, 0] * 3.0
    np.savez(tmp_path / "d.npz", X=X, y=y)
    return TrainConfig(dataset="npz", dataset_options={"data": str(tmp_path / "d.npz"),
                                                       "task": task})


def test_classification_defaults():
    config = TrainConfig()
    data, model, _, optimizer = build(config)
    assert (config.optimizer, config.lr, config.weight_decay) == ("core/momentum", 0.1, 1e-4)
    assert config.layers == DEFAULT_LAYERS["classification"] and config.hidden == 256
    assert model.layers[0].out_features == 256 and len(data.X_train) < 5000
    assert config.epochs == 30 and config.batch_size == 32 and config.patience is None


def test_regression_defaults(tmp_path):
    config = npz(tmp_path, 300, "regression")
    _, model, _, optimizer = build(config)
    assert (config.optimizer, config.lr, config.weight_decay) == ("core/adamw", 0.005, 0.1)
    assert config.layers == DEFAULT_LAYERS["regression"] and config.hidden == 256
    assert type(optimizer).__name__ == "AdamW" and optimizer.weight_decay == 0.1


def test_larger_classification_sets_get_wider_layers(tmp_path):
    config = npz(tmp_path, 7000, "classification")  # 5040 training rows
    data, model, _, _ = build(config)
    assert len(data.X_train) >= 5000 and config.hidden == 512
    assert model.layers[0].out_features == 512


@pytest.mark.parametrize("given", [dict(optimizer="adam", lr=0.003, weight_decay=0.0),
                                   dict(hidden=64, layers="linear,tanh"),
                                   dict(optimizer="adamw", weight_decay=None)])
def test_given_options_win(given):
    config = TrainConfig(**given)
    _, model, _, optimizer = build(config)
    for key, value in given.items():
        if value is not None:
            assert getattr(config, key) == value
    if given.get("optimizer") == "adamw":  # adamw's own default for classification
        assert optimizer.weight_decay == 0.01 and optimizer.lr == 0.001
